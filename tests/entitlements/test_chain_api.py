"""The whole chain through the public API with bearer tokens: a campaign with a quota and an exemption, a session,
attendance and confirmed shares (stamps), a grain-ration program that requires the campaign's stamp, a cycle
computed by the background job and approved by a second officer; then the campaign is cancelled and the next
month's cycle no longer holds it against anyone; a leader benefit for the unit leader; the audit chain intact.

Quantities are checked against the nine-level norms written out again below and the members' ages worked out
here, not against the app's own norm table."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from inminban.areas.models import Area, RoleAssignment
from inminban.audit.services import audit_verify
from inminban.duties.models import Share
from inminban.jobs.runner import run_due
from inminban.registry.models import Household, Membership, Occupation

from .conftest import call, month_start

HEAVY_JOBS = {"채굴공", "건설공", "미장공"}


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def nine_level_norm(age: int, jobs: set[str]) -> int:
    """Grams per day under the pre-crisis nine levels (DESIGN.md), first matching category wins."""
    if 17 <= age <= 60 and jobs & HEAVY_JOBS:
        return 900
    if 17 <= age <= 60 and jobs:
        return 700
    if 17 <= age <= 22:
        return 600
    if 11 <= age <= 16:
        return 500
    if 7 <= age <= 10:
        return 400
    if 2 <= age <= 6:
        return 300
    if age <= 1:
        return 100
    if age >= 61:
        return 300
    return 300  # 23 to 60 without a job: dependants


def current(queryset, day: date):
    return queryset.filter(since__lte=day).exclude(until__lte=day)


def members_on(household: Household, day: date):
    return [m.person for m in current(Membership.objects.filter(household=household), day).select_related("person")]


def norm_of(person, day: date) -> int:
    jobs = set(current(Occupation.objects.filter(person=person), day).values_list("job_title", flat=True))
    return nine_level_norm(age_on(person.birth_date, day), jobs)


def daily_need(household: Household, day: date) -> int:
    return sum(norm_of(person, day) for person in members_on(household, day))


def liable(person, day: date) -> bool:
    return 17 <= age_on(person.birth_date, day) <= 60


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def _run_and_approve(officer, checker, cycle_id: int) -> dict:
    generating = _ok(call(officer, "post", f"/cycles/{cycle_id}/generate"), 202)
    assert generating["status"] == "generating"
    assert run_due(worker="test") >= 1
    generated = _ok(call(officer, "get", f"/cycles/{cycle_id}"))
    assert generated["status"] == "generated" and generated["generated_by"] == "officer-a"
    approved = _ok(call(checker, "post", f"/cycles/{cycle_id}/approve"))
    assert approved["status"] == "approved" and approved["approved_by"] == "checker-a"
    return approved


def _rows(client, cycle_id: int) -> dict[int, dict]:
    page = _ok(call(client, "get", f"/cycles/{cycle_id}/entitlements?limit=500"))
    assert page["count"] == len(page["items"])
    return {item["household"]: item for item in page["items"]}


@pytest.fixture
def leader_person(cast, unit_a1):
    """The person leader-a1 is: linked here if the demo did not link the role to a resident of HS-A1."""
    assignment = RoleAssignment.objects.get(user=cast["leader-a1"], role="leader")
    if assignment.person_id is None:
        heads = Membership.objects.filter(household__unit=unit_a1, relation="head", until=None)
        assignment.person = heads.order_by("household__number")[1].person
        assignment.save(update_fields=["person"])
    return assignment.person


def test_chain_from_campaign_to_approved_cycles(bearer, checker, cast, unit_a1, leader_person):
    today = timezone.localdate()
    officer, leader, approver = bearer("officer-a"), bearer("leader-a1"), bearer(checker)
    households = list(Household.objects.filter(unit=unit_a1).order_by("number"))
    liable_members = {h.pk: [p for p in members_on(h, today) if liable(p, today)] for h in households}
    # The exempt household: the one with the fewest working-age members, every one of them exempted.
    exempt = min((h for h in households if liable_members[h.pk]), key=lambda h: len(liable_members[h.pk]))
    denied = next(h for h in households if h != exempt and liable_members[h.pk])
    stamped = [h for h in households if h not in (exempt, denied) and liable_members[h.pk]]
    assert stamped, "the demo unit needs at least three households with working-age members"

    campaign = _ok(
        call(
            officer,
            "post",
            "/campaigns",
            {
                "area": "HS-A1",
                "title_ko": "강하천 정리",
                "title_en": "River cleanup at the Amnok",
                "measure": "person_hours",
                "rule": "equal",
                "starts_on": (today - timedelta(days=3)).isoformat(),
                "ends_on": (today + timedelta(days=10)).isoformat(),
            },
        ),
        201,
    )
    for person in liable_members[exempt.pk]:
        body = {"person": person.pk, "reason": "disability", "since": (today - timedelta(days=30)).isoformat()}
        _ok(call(leader, "post", "/duty-exemptions", body), 201)
    owing = [denied, *stamped]
    _ok(
        call(officer, "post", f"/campaigns/{campaign['id']}/quotas", {"unit": "HS-A1", "quantity": 4 * len(owing)}), 201
    )
    shares = {
        s["household"]: s for s in _ok(call(leader, "get", f"/campaigns/{campaign['id']}/shares?unit=HS-A1"))["items"]
    }
    assert float(shares[exempt.pk]["quantity"]) == 0
    assert all(float(shares[h.pk]["quantity"]) == 4 for h in owing)

    session = _ok(
        call(
            leader,
            "post",
            f"/campaigns/{campaign['id']}/sessions",
            {"unit": "HS-A1", "on": today.isoformat(), "starts_at": "08:00", "ends_at": "12:00"},
        ),
        201,
    )
    present = [liable_members[h.pk][0].pk for h in stamped]
    _ok(call(leader, "put", f"/sessions/{session['id']}/attendance", {"persons": present}))
    serials = {}
    for household in stamped:
        stamp = _ok(call(leader, "post", f"/shares/{shares[household.pk]['id']}/confirm"), 201)
        serials[household.pk] = stamp["serial"]
    assert not Share.objects.filter(pk=shares[denied.pk]["id"]).exclude(confirmed_at=None).exists()

    ref = f"campaign:{campaign['id']}"
    program = _ok(
        call(
            officer,
            "post",
            "/programs",
            {
                "area": "HS-A",
                "kind": "grain_ration",
                "name_en": "Grain ration",
                "name_ko": "식량 배급",
                "norms": "nine_levels",
                "rule": {"all": [{"stamp": ref}, {"resident": {}}]},
            },
        ),
        201,
    )
    assert program["office"] == "HS-A-OFFICE" and program["version"]["number"] == 1
    assert "River cleanup at the Amnok" in program["version"]["sentence_en"]

    start = month_start(today)
    cycle = _ok(call(officer, "post", f"/programs/{program['id']}/cycles", {"period_start": start.isoformat()}), 201)
    assert cycle["status"] == "draft" and cycle["reference_date"] == start.isoformat()
    totals = _run_and_approve(officer, approver, cycle["id"])
    days = (date.fromisoformat(cycle["period_end"]) - start).days + 1

    district = Household.objects.filter(unit__path__startswith=Area.objects.get(code="HS-A").path, dissolved_on=None)
    rows = _rows(officer, cycle["id"])
    assert set(rows) == set(district.values_list("pk", flat=True)), "one row per household of the district, no more"
    assert totals["households"] == len(rows)
    assert totals["entitled"] == sum(row["eligible"] for row in rows.values())

    # Without the stamp: denied, and the reason names the campaign.
    refused = _ok(call(leader, "get", f"/entitlements/{rows[denied.pk]['id']}"))
    assert (refused["eligible"], refused["quantity"]) == (False, 0)
    assert len(refused["missing"]) == 1 and "River cleanup at the Amnok" in refused["missing"][0]
    assert [c["held"] for c in refused["conditions"]] == [False, True]

    # Exempt: nothing was due, so it counts as done.
    excused = _ok(call(leader, "get", f"/entitlements/{rows[exempt.pk]['id']}"))
    assert excused["eligible"] and excused["conditions"][0]["held"] and excused["conditions"][0]["stamp"] is None
    assert "nothing was due" in excused["conditions"][0]["note"]
    assert excused["quantity"] == daily_need(exempt, start) * days

    for household in stamped:
        detail = _ok(call(leader, "get", f"/entitlements/{rows[household.pk]['id']}"))
        assert detail["eligible"] and detail["missing"] == []
        assert detail["conditions"][0]["stamp"] == serials[household.pk]
        assert detail["quantity"] == daily_need(household, start) * days > 0
        assert detail["members_counted"] == len(members_on(household, start))
        assert sorted(m["amount"] for m in detail["members"]) == sorted(
            norm_of(p, start) for p in members_on(household, start)
        )

    # Households of unit A2 were never given a share of this A1 campaign: nothing is due from them either.
    for household in Household.objects.filter(unit__code="HS-A2", dissolved_on=None):
        assert rows[household.pk]["eligible"], household.number
        assert rows[household.pk]["quantity"] == daily_need(household, start) * days

    # The office cancels the campaign: next month, nobody is held to it; this month's decisions stay as they were.
    standing = call(
        officer, "post", f"/campaigns/{campaign['id']}/standing", {"standing": "cancelled", "reason": "Flood"}
    )
    assert _ok(standing)["standing"] == "cancelled"
    following = month_start(today, 1)
    second = _ok(
        call(officer, "post", f"/programs/{program['id']}/cycles", {"period_start": following.isoformat()}), 201
    )
    _run_and_approve(officer, approver, second["id"])
    second_days = (date.fromisoformat(second["period_end"]) - following).days + 1
    later = _rows(officer, second["id"])
    forgiven = _ok(call(leader, "get", f"/entitlements/{later[denied.pk]['id']}"))
    assert forgiven["eligible"] and forgiven["conditions"][0]["held"]
    assert "cancelled" in forgiven["conditions"][0]["note"]
    assert forgiven["quantity"] == daily_need(denied, following) * second_days
    assert all(row["eligible"] for row in later.values())
    assert _ok(call(leader, "get", f"/entitlements/{rows[denied.pk]['id']}"))["eligible"] is False

    # The leader benefit: five days' worth of the leader's own norm, for the leader's household only.
    benefit = _ok(
        call(
            officer,
            "post",
            "/programs",
            {"area": "HS-A", "kind": "leader_benefit", "name_en": "Leader benefit", "rule": {"leader": {}}},
        ),
        201,
    )
    assert benefit["version"]["benefit_days"] == 5
    bonus = _ok(call(officer, "post", f"/programs/{benefit['id']}/cycles", {"period_start": start.isoformat()}), 201)
    _run_and_approve(officer, approver, bonus["id"])
    bonus_rows = _rows(officer, bonus["id"])
    own = leader_person.household
    assert bonus_rows[own.pk]["eligible"]
    assert bonus_rows[own.pk]["quantity"] == 5 * norm_of(leader_person, start) > 0
    leading = set(current(RoleAssignment.objects.filter(role="leader"), start).values_list("person_id", flat=True))
    for household_id, row in bonus_rows.items():
        leads = any(p.pk in leading for p in members_on(Household.objects.get(pk=household_id), start))
        assert row["eligible"] == leads, household_id
    entitlements = _ok(call(leader, "get", f"/households/{own.pk}/entitlements"))
    by_cycle = {item["cycle"]: item for item in entitlements}
    assert {cycle["id"], second["id"], bonus["id"]} <= set(by_cycle)
    own_bonus = by_cycle[bonus["id"]]
    assert own_bonus["quantity"] == bonus_rows[own.pk]["quantity"]
    assert own_bonus["conditions"] == [
        {"condition": "has a member who leads a unit", "held": True, "satisfied": True, "note": "", "stamp": None}
    ]
    assert [m["person"] for m in own_bonus["members"] if m["leader"]] == [leader_person.pk]
    assert "5 days" in own_bonus["computation"]

    assert audit_verify().ok
    call_command("audit", "verify")  # exits 1 on a broken chain
