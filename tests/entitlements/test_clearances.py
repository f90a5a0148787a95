"""Clearances through the public API: a school clerk asks for a child's enrolment clearance, the program's rule is
decided for the household (the same SQL as cycles), and the answer is a signed clearance stamp that verifies
offline, or a denial naming the missing stamp. Clerks reach only their area and their kind of clearance; the unit
leader sees which households would be denied before the enrolment day."""

# ruff: noqa: F811 - the fixtures imported from clearance_world are named as arguments

from datetime import date, timedelta

import pytest
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.entitlements import cycle_sql, services
from inminban.entitlements.clearances import _plan, clearance_snapshot
from inminban.entitlements.models import Clearance, Program
from inminban.stamps.documents import export_documents
from inminban.stamps.models import Stamp
from inminban.stamps.offline import verifier_from_directory

from .clearance_world import (  # noqa: F401 - fixtures
    child_in,
    clerks,
    earn_street_stamp,
    later,
    other_household,
    own_household,
    school,
    unchanged,
)
from .conftest import call, fields_of, rows_of


def _ask(client, program, person, on=None):
    return call(client, "POST", "/clearances", {"program": program.pk, "person": person.pk, "on": on or later()})


def test_school_clerk_gets_a_granted_clearance_that_verifies_offline(bearer, clerks, school, own_household, tmp_path):
    child = child_in(own_household)
    response = _ask(bearer(clerks["school-a"]), school, child)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["granted"] is True and body["missing"] == [] and body["person"] == child.pk
    stamp = Stamp.objects.get(serial=body["stamp"])
    clearance = Clearance.objects.get(pk=body["id"])
    assert clearance.stamp_id == stamp.pk and clearance.granted and clearance.outcomes == "YS"
    assert stamp.duty_kind == "clearance" and stamp.duty_ref == f"clearance:{clearance.pk}"
    assert stamp.person_id == child.pk and stamp.household_id == own_household.pk and stamp.quantity == 0
    assert stamp.duty_title == "소학교 입학 확인" and stamp.office_id == school.office_id
    assert stamp.period_start == stamp.period_end == date.fromisoformat(body["on"])

    export_documents(tmp_path / "docs")
    result = verifier_from_directory(tmp_path / "docs").verify(body["stamp_text"])
    assert result.ok, result.reason
    assert result.claims.duty_kind == "clearance" and result.claims.serial == stamp.serial
    tampered = body["stamp_text"][:-3] + ("A" if body["stamp_text"][-3] != "A" else "B") + body["stamp_text"][-2:]
    assert not verifier_from_directory(tmp_path / "docs").verify(tampered).ok

    entry = AuditEntry.objects.filter(action="clearance.grant").order_by("-seq").first()
    assert entry.after["stamp"] == str(stamp.serial)
    assert entry.after["person"] == child.pk and entry.after["granted"] is True


def test_denied_clearance_names_the_missing_stamp_and_the_household_sees_it(
    bearer, clerks, school, other_household, cast, street
):
    child = child_in(other_household)
    response = _ask(bearer(clerks["school-a"]), school, child)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["granted"] is False and body["stamp"] is None and body["stamp_text"] is None
    assert body["missing"] == ["no stamp for “Street cleaning” (labour campaign)"]
    assert [c["met"] for c in body["conditions"]] == [True, False]
    assert not Stamp.objects.filter(duty_kind="clearance").exists()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "clearance.deny" and entry.after["missing"] == body["missing"]

    seen = call(bearer("leader-a1"), "GET", f"/households/{other_household.pk}/clearances")
    assert seen.status_code == 200 and [c["id"] for c in seen.json()] == [body["id"]]
    ko = bearer("leader-a1").get(
        f"/api/v1/clearances/{body['id']}", headers={"Accept-Language": "ko"}, HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert ko.status_code == 200
    # Once the household earns the stamp, the same child is cleared.
    earn_street_stamp(cast, street, other_household)
    again = _ask(bearer(clerks["school-a"]), school, child).json()
    assert again["granted"] is True and again["stamp"]


def test_clerk_finds_a_person_by_national_id(bearer, clerks, school, own_household):
    child = child_in(own_household)
    child.national_id = "HS-T-000123"
    child.save()
    client = bearer(clerks["school-a"])
    response = call(client, "POST", "/clearances", {"program": school.pk, "national_id": "HS-T-000123", "on": later()})
    assert response.status_code == 201 and response.json()["person"] == child.pk


def test_school_clerk_of_another_area_gets_404(bearer, clerks, school, own_household, unchanged):
    child = child_in(own_household)
    client = bearer(clerks["school-b"])
    with unchanged():
        assert "person" in fields_of(_ask(client, school, child), 404)


def test_recruiter_cannot_ask_for_a_school_clearance(bearer, clerks, school, own_household, unchanged):
    child = child_in(own_household)
    client = bearer(clerks["recruiter-a"])
    with unchanged():
        fields_of(_ask(client, school, child), 403)


@pytest.mark.parametrize("username", ["leader-a1", "resident-a1", "auditor"])
def test_leaders_residents_and_auditors_cannot_ask(username, bearer, school, own_household, unchanged):
    child = child_in(own_household)
    client = bearer(username)
    with unchanged():
        fields_of(_ask(client, school, child), 403)


def test_the_programs_officer_may_ask_and_another_districts_may_not(bearer, school, own_household, unchanged):
    child = child_in(own_household)
    assert _ask(bearer("officer-a"), school, child).status_code == 201
    client = bearer("officer-b")
    with unchanged():
        assert "person" in fields_of(_ask(client, school, child), 404)


def _bad_bodies(school, grain, child):
    today = timezone.localdate()
    good = {"program": school.pk, "person": child.pk, "on": later()}
    return [
        (good | {"on": "2026-13-01"}, "on"),
        (good | {"on": (today - timedelta(days=45)).isoformat()}, "on"),
        (good | {"on": (today + timedelta(days=800)).isoformat()}, "on"),
        ({"program": school.pk, "on": later()}, "person"),
        (good | {"national_id": "X1"}, "person"),
        (good | {"program": grain.pk}, "program"),
        (good | {"program": 10**12}, "program"),
        (good | {"person": "12"}, "person"),
        (good | {"extra": 1}, "extra"),
    ]


def test_bad_input_names_the_field_and_writes_nothing(bearer, clerks, school, own_household, make_program, unchanged):
    child = child_in(own_household)
    grain = make_program()
    client = bearer(clerks["school-a"])
    with unchanged():
        for body, field in _bad_bodies(school, grain, child):
            assert field in fields_of(call(client, "POST", "/clearances", body)), body


def test_a_person_who_left_is_refused(bearer, clerks, school, own_household, unchanged):
    child = child_in(own_household)
    child.memberships.update(until=timezone.localdate())
    client = bearer(clerks["school-a"])
    with unchanged():
        assert "person" in fields_of(_ask(client, school, child))


def test_clearance_programs_are_created_by_the_program_service_and_have_no_cycles(school, cast):
    assert school.is_clearance and school.current_version.benefit_days == 0
    with pytest.raises(Exception) as refused:
        services.cycle_create(actor=cast["officer-a"], program=school, period_start=date(2026, 3, 1))
    assert getattr(refused.value, "field", None) == "program"


def test_leader_sees_households_at_risk_before_the_enrolment_day(
    bearer, school, own_household, other_household, unit_a1, cast, unchanged
):
    at_risk = child_in(other_household, name="위험")
    child_in(own_household, name="괜찮음")  # stamped household: would be cleared
    child_in(other_household, age_days=30 * 365, name="어른")  # not of school age
    before = later(30)
    leader, other_leader = bearer("leader-a1"), bearer("leader-b1")
    path = f"/units/{unit_a1.code}/clearance-risks?program={school.pk}&before={before}"
    with unchanged():
        response = call(leader, "GET", path)
    assert response.status_code == 200, response.content
    rows = {row["household"]: row for row in response.json()}
    # Any other household of the unit with a child of school age is at risk too: only resident-a1's has the stamp.
    assert other_household.pk in rows and own_household.pk not in rows
    assert [p["id"] for p in rows[other_household.pk]["persons"]] == [at_risk.pk]
    for row in rows.values():
        assert row["missing"] == ["no stamp for “Street cleaning” (labour campaign)"]
    assert call(other_leader, "GET", path).status_code == 404


def test_one_household_verdicts_agree_with_the_cycle(street_ration, cast, unit_a1):
    """The clearance's single-household and per-unit evaluation is the cycle's own statement."""
    today = timezone.localdate()
    cycle = services.cycle_create(actor=cast["officer-a"], program=street_ration, period_start=today.replace(day=1))
    services.cycle_generate(actor=cast["officer-a"], cycle=cycle)
    rows = [row for row in rows_of(cycle) if row[1] == unit_a1.pk]
    cycle.refresh_from_db()
    plan = services._plan(cycle)
    unit = cycle_sql.unit_verdicts(plan, unit_a1.pk)
    assert [(v.household_id, v.eligible, v.quantity, v.members_counted, v.outcomes, v.stamps) for v in unit] == [
        (row[0], row[2], row[3], row[4], row[7], row[8]) for row in rows
    ]
    single = cycle_sql.household_verdict(plan, rows[0][0])
    assert single == unit[0]
    assert any(not row[2] for row in rows) and any(row[2] for row in rows)


def test_snapshot_reads_like_a_cycles(school):
    snapshot = clearance_snapshot(school, timezone.localdate())
    assert set(snapshot) >= {"version", "obligations", "area"}
    plan = _plan(school, snapshot, timezone.localdate())
    assert plan.kind == Program.Kind.SCHOOL_CLEARANCE and plan.rule == school.current_version.rule
