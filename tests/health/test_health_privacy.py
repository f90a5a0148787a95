"""Health data is restricted: a leader and an officer get only "check done" and counts, in HTML and JSON (the
values are not there at all); the health workers of the area, the auditor and the person checked see them; a health
worker of another area, or a resident of another household, gets a 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inminban.health.selectors import COUNT_FLOOR, health_checks_of_household_for_resident, health_counts
from inminban.registry.models import Membership

from .conftest import call, make_stay, record

SECRETS = ("38.4", "기침이 심함")
GUEST = "숨은 손님 박철"


@pytest.fixture
def checks(cast, fever_check, household_a1, other_household_a1):
    """resident-a1's fever check, an unregistered guest in the next household, a registered guest's check."""
    guest = record(
        cast["health-a"], other_household_a1, person=None, guest_name=GUEST, temperature_c="38.4", note="기침이 심함"
    )
    stay = make_stay(household_a1, guest_name="등록 손님 리영")
    registered = record(cast["health-a"], household_a1, person=None, stay=stay, temperature_c="36.5")
    return {"own": fever_check, "guest": guest, "registered": registered}


def _everything(client, checks) -> str:
    """What the client gets from every health page and endpoint."""
    texts = [client.get(reverse("health:checks")).content.decode()]
    texts.append(client.get(reverse("health:checks") + "?day=" + checks["own"].checked_on.isoformat()).content.decode())
    texts.append(call(client, "get", "/health-checks").content.decode())
    texts.append(call(client, "get", "/health-checks/summary?area=HS-A1").content.decode())
    texts.append(call(client, "get", "/health-checks/summary?area=HS-A").content.decode())
    for check in checks.values():
        texts.append(call(client, "get", f"/health-checks/{check.pk}").content.decode())
    return "\n".join(texts)


@pytest.mark.parametrize("who", ["leader-a1", "officer-a"])
def test_leaders_and_officers_get_only_that_checks_were_done(client_for, checks, who):
    client = client_for(who)
    page = client.get(reverse("health:checks"))
    assert page.status_code == 200
    listed = call(client, "get", "/health-checks")
    assert listed.status_code == 200 and listed.json()["count"] == 3
    for item in listed.json()["items"]:
        assert item["shown"] == "done"
        assert not {"temperature_c", "fever", "symptoms", "note", "guest_name", "stay"} & set(item), item
    detail = call(client, "get", f"/health-checks/{checks['own'].pk}")
    assert detail.status_code == 200 and detail.json()["shown"] == "done"
    assert "temperature_c" not in detail.json()
    text = _everything(client, checks)
    for secret in (*SECRETS, GUEST, "등록 손님 리영"):
        assert secret not in text, (who, secret)
    # That a check was done, and of whom, they do see.
    assert checks["own"].person.full_name in page.content.decode()


@pytest.mark.parametrize("who", ["health-a", "auditor", "admin"])
def test_the_health_workers_of_the_area_and_the_auditors_see_the_values(client_for, checks, who):
    client = client_for(who)
    detail = call(client, "get", f"/health-checks/{checks['own'].pk}").json()
    assert detail["shown"] == "values" and detail["temperature_c"] == 38.4 and detail["symptoms"] is True
    assert detail["note"] == "기침이 심함" and detail["fever"] is True
    guest = call(client, "get", f"/health-checks/{checks['guest'].pk}").json()
    assert guest["guest_name"] == GUEST and guest["subject"] == "unregistered_guest"
    text = _everything(client, checks)
    for secret in (*SECRETS, GUEST):
        assert secret in text, (who, secret)
    page = client.get(reverse("health:checks")).content.decode()
    assert "38.4" in page and GUEST in page


def test_the_person_sees_their_own_check_and_nothing_else(client_for, cast, checks, household_a1):
    client = client_for("resident-a1")
    own = call(client, "get", f"/health-checks/{checks['own'].pk}")
    assert own.status_code == 200 and own.json()["shown"] == "values" and own.json()["temperature_c"] == 38.4
    # A guest of their own household is not theirs; nor is a neighbour's check.
    assert call(client, "get", f"/health-checks/{checks['registered'].pk}").status_code == 404
    assert call(client, "get", f"/health-checks/{checks['guest'].pk}").status_code == 404
    listed = call(client, "get", "/health-checks").json()
    assert [item["id"] for item in listed["items"]] == [checks["own"].pk]
    assert GUEST not in call(client, "get", "/health-checks").content.decode()
    page = client.get(reverse("health:checks")).content.decode()
    assert "38.4" in page and "등록 손님 리영" not in page
    mine = health_checks_of_household_for_resident(actor=cast["resident-a1"], household=household_a1)
    assert list(mine) == [checks["own"]]
    assert not health_checks_of_household_for_resident(actor=cast["leader-a1"], household=household_a1).exists()
    assert not health_checks_of_household_for_resident(actor=cast["health-a"], household=household_a1).exists()


def test_a_health_worker_of_another_area_gets_404(client_for, checks):
    client = client_for("health-b")
    for check in checks.values():
        assert call(client, "get", f"/health-checks/{check.pk}").status_code == 404
    assert call(client, "get", "/health-checks").json()["count"] == 0
    assert call(client, "get", "/health-checks/summary?area=HS-A1").status_code == 422
    assert client.get(reverse("health:check-new") + "?unit=HS-A1").status_code == 200  # their own units instead
    assert "HS-A1" not in client.get(reverse("health:check-new")).content.decode()


def test_a_resident_of_another_household_gets_404(checks, other_household_a1):
    from django.test import Client

    from governance.petitioning import resident_of

    neighbour = Client()
    neighbour.force_login(resident_of(other_household_a1))
    for check in checks.values():
        assert call(neighbour, "get", f"/health-checks/{check.pk}").status_code == 404
    listed = call(neighbour, "get", "/health-checks").json()
    assert listed["count"] == 0
    # Their household's unregistered guest is not theirs either.
    assert GUEST not in neighbour.get(reverse("health:checks")).content.decode()


def _members(unit, count: int) -> list[tuple]:
    """`count` (household, person) pairs of current members of `unit`."""
    memberships = Membership.objects.current_on(timezone.localdate()).filter(household__unit=unit)
    pairs = [(m.household, m.person) for m in memberships.select_related("household", "person").order_by("pk")]
    assert len(pairs) >= count
    return pairs[:count]


def _record_day(worker, pairs, day, fevers: int) -> None:
    for index, (household, person) in enumerate(pairs):
        record(worker, household, person=person, checked_on=day, temperature_c="38.6" if index < fevers else "36.5")


def test_counts_hide_fevers_behind_too_few_checks_from_those_without_values(cast, checks, unit_a1):
    day = checks["own"].checked_on
    leader = health_counts(actor=cast["leader-a1"], area=unit_a1, since=day, until=day)
    assert leader["checks"] == 3 < COUNT_FLOOR and leader["fever"] is None and leader["withheld"]
    assert leader["counted"] == 0 and leader["unregistered_guests"] == 1
    worker = health_counts(actor=cast["health-a"], area=unit_a1, since=day, until=day)
    assert worker["fever"] == 2 and worker["symptoms"] == 1 and not worker["withheld"] and worker["counted"] == 3


def test_a_day_is_counted_once_it_is_over_and_had_enough_checks(cast, unit_a1):
    today = timezone.localdate()
    yesterday, before = today - timedelta(days=1), today - timedelta(days=2)
    pairs = _members(unit_a1, COUNT_FLOOR)
    _record_day(cast["health-a"], pairs, yesterday, fevers=2)
    _record_day(cast["health-a"], pairs[: COUNT_FLOOR - 1], before, fevers=1)
    _record_day(cast["health-a"], pairs, today, fevers=3)
    leader = cast["leader-a1"]
    assert health_counts(actor=leader, area=unit_a1, since=yesterday, until=yesterday) | {"units": None} == {
        "checks": COUNT_FLOOR,
        "fever": 2,
        "symptoms": 0,
        "unregistered_guests": 0,
        "counted": COUNT_FLOOR,
        "withheld": False,
        "units": None,
    }
    # Today has enough checks but is not over; the day before had too few: neither is in any total.
    assert health_counts(actor=leader, area=unit_a1, since=today, until=today)["withheld"]
    assert health_counts(actor=leader, area=unit_a1, since=before, until=before)["withheld"]
    week = health_counts(actor=leader, area=unit_a1, since=before, until=today)
    assert week["checks"] == 3 * COUNT_FLOOR - 1 and week["counted"] == COUNT_FLOOR and week["fever"] == 2
    # Those who read the values get every check.
    worker = health_counts(actor=cast["health-a"], area=unit_a1, since=before, until=today)
    assert worker["counted"] == worker["checks"] == 3 * COUNT_FLOOR - 1 and worker["fever"] == 6


def test_no_total_gives_away_a_withheld_group_by_subtraction(cast, unit_a1, unit_a2):
    """The district's total minus its other units' never gives a withheld unit's fevers; nor does a longer period
    minus a shorter one give a withheld day's."""
    yesterday = timezone.localdate() - timedelta(days=1)
    _record_day(cast["health-a"], _members(unit_a1, COUNT_FLOOR), yesterday, fevers=1)
    _record_day(cast["health-a"], _members(unit_a2, 1), yesterday, fevers=1)  # one check: withheld
    officer = cast["officer-a"]
    district = unit_a1.parent
    counts = health_counts(actor=officer, area=district, since=yesterday, until=yesterday)
    units = {row["unit"]: row for row in counts["units"]}
    assert units[unit_a2.code]["withheld"] and units[unit_a2.code]["fever"] is None
    assert counts["fever"] - sum(row["fever"] or 0 for row in counts["units"]) == 0
    assert counts["checks"] == COUNT_FLOOR + 1 and counts["counted"] == COUNT_FLOOR
    for who in ("health-a", "auditor"):
        exact = health_counts(actor=cast[who], area=district, since=yesterday, until=yesterday)
        assert exact["fever"] == 2 and {row["unit"]: row["fever"] for row in exact["units"]}[unit_a2.code] == 1
    # Longer minus shorter: the day added (today, one fever) adds nothing to the fevers.
    record(cast["health-a"], _members(unit_a1, 1)[0][0], person=_members(unit_a1, 1)[0][1], temperature_c="39.1")
    two_days = health_counts(actor=officer, area=district, since=yesterday, until=timezone.localdate())
    assert two_days["fever"] == counts["fever"] and two_days["checks"] == counts["checks"] + 1


def test_the_pages_say_what_the_counts_leave_out(client_for, cast, unit_a1):
    yesterday = timezone.localdate() - timedelta(days=1)
    _record_day(cast["health-a"], _members(unit_a1, COUNT_FLOOR), yesterday, fevers=1)
    record(cast["health-a"], _members(unit_a1, 1)[0][0], person=_members(unit_a1, 1)[0][1], temperature_c="39.1")
    page = client_for("leader-a1").get(reverse("health:checks"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"counted over {COUNT_FLOOR} checks" in page and "and today, are left out" in page
    summary = call(client_for("officer-a"), "get", "/health-checks/summary?area=HS-A1").json()
    assert summary["checks"] == COUNT_FLOOR + 1 and summary["counted"] == COUNT_FLOOR and summary["fever"] == 1
