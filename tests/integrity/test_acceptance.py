"""The issue's acceptance, through the public API and the command line:

- a guest registered before the deadline is on time, one registered after it is late; a second guest who appears
  only at a health check raises exactly one "stay seen but not registered" flag for the unit after `integrity scan`,
  and a second scan raises none;
- a leader confirming their own household's share, or recording all its attendance in one go, raises the flag; the
  same action by another unit's leader on a household not their own does not;
- the office sees the flag with its evidence and dismisses it with a reason."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from inminban.integrity.models import Flag, Pattern

from .building import campaign_for, households_of, levy_for, members_of, own_household, share_of
from .conftest import call

ON_TIME, LATE, UNSEEN = "박순희", "김철민", "오광혁"


def _scan(*args) -> str:
    out = StringIO()
    call_command("integrity", "scan", "--no-progress", *args, stdout=out)
    return out.getvalue()


def _raised(output: str, pattern: str) -> int:
    line = next(line for line in output.splitlines() if line.startswith(pattern + " "))
    return int(line.split()[1])


def test_a_guest_seen_only_at_a_health_check_raises_exactly_one_flag_for_the_unit(client_for, unit_a1, household_a1):
    today = timezone.localdate()
    resident, leader, worker = client_for("resident-a1"), client_for("leader-a1"), client_for("health-a")
    host = household_a1.head_id
    on_time = call(resident, "POST", "/stays", {
        "household": household_a1.pk, "guest_name": ON_TIME, "arrives_on": (today + timedelta(days=1)).isoformat(),
        "departs_on": (today + timedelta(days=3)).isoformat(), "purpose": "family", "hosts": [host],
        "origin_address": "혜산시 연봉동"})  # fmt: skip
    assert on_time.status_code == 201, on_time.content
    assert on_time.json()["late"] is False
    late_host = households_of(unit_a1)[3]
    late = call(leader, "POST", "/stays", {
        "household": late_host.pk, "guest_name": LATE, "arrives_on": (today - timedelta(days=2)).isoformat(),
        "departs_on": (today + timedelta(days=2)).isoformat(), "purpose": "work",
        "origin_address": "김정숙군"})  # fmt: skip
    assert late.status_code == 201, late.content
    assert late.json()["late"] is True

    # The registered late guest is checked as a registered guest; the second guest has no stay in their household.
    checked = call(worker, "POST", "/health-checks", {
        "household": late_host.pk, "checked_on": today.isoformat(), "temperature_c": 36.6, "symptoms": False,
        "stay": late.json()["id"]})  # fmt: skip
    assert checked.status_code == 201, checked.content
    unseen_host = households_of(unit_a1)[2]
    unseen = call(worker, "POST", "/health-checks", {
        "household": unseen_host.pk, "checked_on": today.isoformat(), "temperature_c": 38.4, "symptoms": True,
        "guest_name": UNSEEN})  # fmt: skip
    assert unseen.status_code == 201, unseen.content
    assert unseen.json()["unregistered_guest"] is True

    assert _raised(_scan(), Pattern.STAY_UNREGISTERED) == 1
    flags = Flag.objects.filter(pattern=Pattern.STAY_UNREGISTERED)
    assert flags.count() == 1
    flag = flags.get()
    assert flag.unit == unit_a1 and flag.office.code == "HS-A-OFFICE"
    assert flag.evidence == [{"type": "healthcheck", "id": unseen.json()["id"]}]
    assert _raised(_scan(), Pattern.STAY_UNREGISTERED) == 0
    assert flags.count() == 1

    # The office sees it with its evidence (no name, no values) and dismisses it with a reason.
    office = client_for("officer-a")
    listed = call(office, "GET", "/integrity-flags?pattern=stay_unregistered&unit=HS-A1").json()
    assert [item["id"] for item in listed["items"]] == [flag.pk]
    detail = call(office, "GET", f"/integrity-flags/{flag.pk}")
    assert detail.json()["evidence"][0]["type"] == "healthcheck"
    text = detail.content.decode()
    assert UNSEEN not in text and "38.4" not in text
    assert call(office, "POST", f"/integrity-flags/{flag.pk}/decision", {"status": "dismissed", "reason": ""}
                ).status_code == 422  # fmt: skip
    decided = call(office, "POST", f"/integrity-flags/{flag.pk}/decision",
                   {"status": "dismissed", "reason": "손님이 다음 날 등록함"})  # fmt: skip
    assert decided.status_code == 200 and decided.json()["status"] == "dismissed"
    assert _raised(_scan(), Pattern.STAY_UNREGISTERED) == 0  # never raised again, whatever its status


def test_a_leader_confirming_their_own_households_share_raises_the_flag(client_for, unit_a1):
    levy = levy_for(unit_a1)
    share = share_of(levy, own_household("leader-a1"))
    leader = client_for("leader-a1")
    delivered = call(
        leader,
        "POST",
        f"/shares/{share.pk}/deliveries",
        {"quantity": str(share.quantity), "measure": "kg", "delivered_on": timezone.localdate().isoformat()},
    )
    assert delivered.status_code == 201, delivered.content
    assert call(leader, "POST", f"/shares/{share.pk}/confirm").status_code == 201
    assert _raised(_scan(), Pattern.LEADER_OWN_CONFIRMATION) == 1
    flag = Flag.objects.get(pattern=Pattern.LEADER_OWN_CONFIRMATION)
    mine = call(leader, "GET", "/integrity-flags").json()["items"]
    assert [item["id"] for item in mine] == [flag.pk] and mine[0]["about_me"] and mine[0]["may_explain"]


def test_a_leader_recording_all_their_own_households_attendance_in_one_go_raises_the_flag(client_for, unit_a1):
    campaign = campaign_for(unit_a1)
    leader = client_for("leader-a1")
    session = call(
        leader,
        "POST",
        f"/campaigns/{campaign.pk}/sessions",
        {"unit": "HS-A1", "on": timezone.localdate().isoformat(), "starts_at": "08:00", "ends_at": "12:00"},
    )
    assert session.status_code == 201, session.content
    persons = [person.pk for person in members_of(own_household("leader-a1"))]
    sheet = call(leader, "PUT", f"/sessions/{session.json()['id']}/attendance", {"persons": persons})
    assert sheet.status_code == 200, sheet.content
    assert _raised(_scan(), Pattern.LEADER_OWN_ATTENDANCE) == 1
    assert Flag.objects.get(pattern=Pattern.LEADER_OWN_ATTENDANCE).leader.username == "leader-a1"


@pytest.mark.parametrize("what", ["share", "attendance"])
def test_the_same_by_another_units_leader_on_a_household_not_their_own_raises_nothing(client_for, unit_b1, what):
    leader = client_for("leader-b1")
    household = next(h for h in households_of(unit_b1) if h != own_household("leader-b1"))
    if what == "share":
        levy = levy_for(unit_b1, officer="officer-b", office_code="HS-B-OFFICE")
        share = share_of(levy, household)
        call(
            leader,
            "POST",
            f"/shares/{share.pk}/deliveries",
            {"quantity": str(share.quantity), "measure": "kg", "delivered_on": timezone.localdate().isoformat()},
        )
        assert call(leader, "POST", f"/shares/{share.pk}/confirm").status_code == 201
    else:
        campaign = campaign_for(unit_b1, officer="officer-b", office_code="HS-B-OFFICE")
        session = call(
            leader,
            "POST",
            f"/campaigns/{campaign.pk}/sessions",
            {"unit": "HS-B1", "on": timezone.localdate().isoformat(), "starts_at": "08:00", "ends_at": "12:00"},
        )
        persons = [person.pk for person in members_of(household)]
        sheet = call(leader, "PUT", f"/sessions/{session.json()['id']}/attendance", {"persons": persons})
        assert sheet.status_code == 200, sheet.content
    output = _scan()
    assert _raised(output, "total") == 0, output
    assert not Flag.objects.exists()


def test_the_command_takes_a_day_and_refuses_a_bad_one(household_a1):
    from django.core.management.base import CommandError

    from .building import unregistered_check

    unregistered_check(household_a1)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert _raised(_scan("--today", yesterday), Pattern.STAY_UNREGISTERED) == 0
    assert _raised(_scan(), Pattern.STAY_UNREGISTERED) == 1
    with pytest.raises(CommandError):
        _scan("--today", "2026-02-30")
