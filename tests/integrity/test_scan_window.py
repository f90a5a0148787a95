"""The scan's lookback window: a scan over the last N days raises every flag a scan of all history raises about the
records inside the window (the same flag, evidence and facts), looks at no record older than it, and raises nothing on
a repeat; the rate over a year keeps its year; the scheduled job and the command scan INTEGRITY_SCAN_DAYS by default,
`--days N` or `--all` when told, and refuse a window that is not one."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.duties import services as duties
from inminban.duties.models import Attendance, Share, Waiver
from inminban.integrity.jobs import integrity_scan_job
from inminban.integrity.models import DetectionRule, Flag, Pattern
from inminban.integrity.scan import integrity_scan, window_start
from inminban.stamps.models import Stamp

from .building import (
    campaign_for,
    households_of,
    levy_for,
    members_of,
    new_member,
    office,
    own_household,
    ration_cycle,
    session_for,
    share_of,
    unregistered_check,
    user,
)

DAYS = 10  # the window of these tests: from midnight ten days before today


@pytest.fixture
def today():
    return timezone.localdate()


def _at(day: date) -> datetime:
    """Noon of `day` in the deployment's zone."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=12)))


def _rule(office_code, pattern, **values):
    defaults = {"enabled": True, "threshold": Decimal("0"), "min_count": 1}
    return DetectionRule.objects.create(
        office=office(office_code),
        pattern=pattern,
        changed_by=user("admin"),
        changed_at=timezone.now(),
        **(defaults | values),
    )


def _flags() -> dict[tuple[str, str], tuple]:
    """Every flag as the scan wrote it (evidence in a fixed order: the databases aggregate in their own order)."""
    rows = Flag.objects.values_list(
        "pattern", "key", "unit_id", "office_id", "leader_id", "occurred_on", "evidence", "facts"
    )
    return {
        (pattern, key): (unit, office_id, leader, on, sorted((i["type"], i["id"]) for i in evidence), facts)
        for pattern, key, unit, office_id, leader, on, evidence, facts in rows
    }


def _raised_by(**scan_options) -> dict[tuple[str, str], tuple]:
    """The flags one scan raises, rolled back afterwards."""
    with transaction.atomic():
        before = set(_flags())
        integrity_scan(**scan_options)
        raised = {key: value for key, value in _flags().items() if key not in before}
        transaction.set_rollback(True)
    return raised


def _working_age(household, campaign, on):
    rule = campaign.rule
    return [p for p in members_of(household, on) if rule.min_age <= _age(p.birth_date, on) <= rule.max_age]


def _age(birth, on):
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _recorded_at(attendances, day: date) -> None:
    """Move attendance back to `day`, keeping the seconds between them (as if recorded then)."""
    shift = timezone.now() - _at(day)
    Attendance.objects.filter(pk__in=[a.pk for a in attendances]).update(recorded_at=F("recorded_at") - shift)


def _stamp_without_work(leader, share):
    Share.objects.filter(pk=share.pk).update(done=F("quantity") - F("waived"))
    share.refresh_from_db()
    return duties.share_confirm(actor=leader, share=share)


@pytest.fixture
def history(cast, unit_a1, unit_a2, today):
    """Records of every windowed pattern inside the last DAYS days and before them (and some that straddle the
    window's start); returns the keys of the flags about records inside the window (`inside`), and about records
    only older than it (`older`)."""
    leader, officer = cast["leader-a1"], cast["officer-a"]
    inside, older = set(), set()

    # A guest seen at a health check, with no stay: today; a month ago but recorded today; a month ago.
    guests = households_of(unit_a2)
    check = unregistered_check(guests[0], worker="health-a")
    inside.add((Pattern.STAY_UNREGISTERED, f"healthcheck:{check.pk}"))
    late = unregistered_check(guests[1], on=today - timedelta(days=30))
    inside.add((Pattern.STAY_UNREGISTERED, f"healthcheck:{late.pk}"))
    old = unregistered_check(guests[2], on=today - timedelta(days=30))
    type(old).objects.filter(pk=old.pk).update(recorded_at=_at(today - timedelta(days=30)))
    older.add((Pattern.STAY_UNREGISTERED, f"healthcheck:{old.pk}"))

    # Members added by the leader shortly before a cycle: today, 5 days before a cycle made today; 45 days ago,
    # 5 days before a cycle made 50 days ago. (First: the sessions below count them as members.)
    household = households_of(unit_a1)[2]
    cycle = ration_cycle(unit_a1, today + timedelta(days=5), timezone.now())
    new_member(leader, household, today)
    inside.add((Pattern.MEMBERS_BEFORE_CYCLE, f"cycle:{cycle.pk}:household:{household.pk}"))
    old_cycle = ration_cycle(unit_a1, today - timedelta(days=40), _at(today - timedelta(days=50)))
    person = new_member(leader, households_of(unit_a1)[3], today - timedelta(days=45))
    AuditEntry.objects.filter(action="person.register", target_id=str(person.pk)).update(
        at=_at(today - timedelta(days=45))
    )
    older.add((Pattern.MEMBERS_BEFORE_CYCLE, f"cycle:{old_cycle.pk}:household:{households_of(unit_a1)[3].pk}"))
    # The leader recording their own household: a session 60 days ago (recorded then), one 3 days ago (recorded
    # today), one 20 days ago with one member recorded then and one today (the flag counts both).
    campaign = campaign_for(unit_a1, starts_on=today - timedelta(days=80), ends_on=today + timedelta(days=10))
    own = own_household("leader-a1")
    first, second = members_of(own)[:2]
    for days_ago, when in ((60, "older"), (3, "inside"), (20, "both")):
        session = session_for(campaign, unit_a1, actor="leader-a1", on=today - timedelta(days=days_ago))
        one = duties.attendance_record(actor=leader, session=session, person=first, hours=1)
        if when != "inside":
            _recorded_at([one], session.on)
        if when == "both":
            duties.attendance_record(actor=leader, session=session, person=second, hours=1)
            # …and recorded today, 20 days after the session: late attendance, counted with the old record.
            inside.add((Pattern.LATE_ATTENDANCE, f"session:{session.pk}:late:{leader.pk}"))
        (older if when == "older" else inside).add(
            (Pattern.LEADER_OWN_ATTENDANCE, f"session:{session.pk}:household:{own.pk}")
        )

    # Late attendance of another household: 10 days after a session 60 days ago (both before the window); and at a
    # session 40 days ago, once 20 days after it and once today.
    worker = members_of(households_of(unit_a1)[2])[0]
    helper = members_of(households_of(unit_a1)[3])[0]
    old_session = session_for(campaign, unit_a1, actor="leader-a1", on=today - timedelta(days=61))
    _recorded_at(
        [duties.attendance_record(actor=leader, session=old_session, person=worker, hours=1)],
        today - timedelta(days=51),
    )
    older.add((Pattern.LATE_ATTENDANCE, f"session:{old_session.pk}:late:{leader.pk}"))
    straddling = session_for(campaign, unit_a1, actor="leader-a1", on=today - timedelta(days=40))
    _recorded_at(
        [duties.attendance_record(actor=leader, session=straddling, person=worker, hours=1)],
        today - timedelta(days=20),
    )
    duties.attendance_record(actor=leader, session=straddling, person=helper, hours=1)
    inside.add((Pattern.LATE_ATTENDANCE, f"session:{straddling.pk}:late:{leader.pk}"))

    # Whole households recorded in one go by the officer: at a session 50 days ago (then) and 2 days ago (today).
    _rule("HS-A-OFFICE", Pattern.BULK_ATTENDANCE, threshold=Decimal("80"), min_count=2)
    for days_ago in (50, 2):
        on = today - timedelta(days=days_ago)
        session = session_for(campaign, unit_a1, actor="officer-a", on=on)
        households = [h for h in households_of(unit_a1) if h != own and _working_age(h, campaign, on)]
        persons = [p.pk for household in households for p in _working_age(household, campaign, on)]
        duties.session_attendance_set(actor=officer, session=session, person_ids=persons)
        if days_ago == 50:
            _recorded_at(list(Attendance.objects.filter(session=session)), on)
        (older if days_ago == 50 else inside).add((Pattern.BULK_ATTENDANCE, f"session:{session.pk}"))

    # The leader stamping their own household's levy without the deliveries: today, and 40 days ago.
    for when in ("inside", "older"):
        stamp = _stamp_without_work(leader, share_of(levy_for(unit_a1), own))
        if when == "older":
            Stamp.objects.filter(pk=stamp.pk).update(issued_at=_at(today - timedelta(days=40)))
        for pattern in (Pattern.LEADER_OWN_CONFIRMATION, Pattern.STAMP_UNFULFILLED):
            (inside if when == "inside" else older).add((pattern, f"stamp:{stamp.pk}"))

    return {"inside": inside, "older": older}


def test_a_windowed_scan_raises_every_flag_a_full_scan_raises_about_the_window(history, today):
    full = _raised_by()
    windowed = _raised_by(days=DAYS)
    assert history["older"] <= set(full)  # the old records do raise flags, for a scan of all history
    assert history["inside"] <= set(windowed)
    assert not history["older"] & set(windowed)  # records older than the window are not looked at
    # The same flags, evidence and facts: a straddling session's flag counts its older attendance too.
    assert {key: full[key] for key in windowed} == windowed
    first_day = today - timedelta(days=DAYS)
    left_out = {key: value for key, value in full.items() if key not in windowed}
    assert left_out and all(value[3] < first_day for value in left_out.values())
    covered = {pattern for pattern, _ in windowed}
    assert covered == set(Pattern.values) - {Pattern.WAIVER_RATE}


def test_a_repeat_windowed_scan_raises_nothing(history):
    before = set(_flags())
    integrity_scan(days=DAYS)
    assert history["inside"] <= set(_flags()) - before
    assert sum(integrity_scan(days=DAYS).values()) == 0
    # A scan of all history then raises only the flags about the older records.
    assert set(_raised_by()) == history["older"]


def test_a_window_of_one_day_still_sees_a_check_recorded_today_for_last_week(unit_a2, today):
    check = unregistered_check(households_of(unit_a2)[0], on=today - timedelta(days=7))
    raised = integrity_scan(days=1)
    assert raised[Pattern.STAY_UNREGISTERED] == 1
    assert Flag.objects.filter(pattern=Pattern.STAY_UNREGISTERED, key=f"healthcheck:{check.pk}").exists()


def test_the_waiver_rate_keeps_its_year_whatever_the_window(cast, unit_a1, unit_a2, today):
    campaign = campaign_for(unit_a1, unit_a2)
    for household in households_of(unit_a1)[:3]:
        waiver = duties.waiver_request(
            actor=cast["leader-a1"], share=share_of(campaign, household), reason="병환", quantity=Decimal("1")
        )
        duties.waiver_decide(actor=cast["officer-a"], waiver=waiver, approve=True)
    # Decided 100 days ago: outside a 10-day window, inside the rate's year.
    Waiver.objects.filter(share__quota__campaign=campaign).update(decided_at=_at(today - timedelta(days=100)))
    _rule("HS-A-OFFICE", Pattern.WAIVER_RATE, threshold=Decimal("1.5"), min_count=3)
    full = {key: value for key, value in _raised_by().items() if key[0] == Pattern.WAIVER_RATE}
    windowed = {key: value for key, value in _raised_by(days=DAYS).items() if key[0] == Pattern.WAIVER_RATE}
    assert len(full) == 1 and windowed == full


def test_each_scan_audits_its_window(unit_a2, today):
    unregistered_check(households_of(unit_a2)[0])
    integrity_scan(days=DAYS)
    entry = AuditEntry.objects.filter(action="integrity.scan").order_by("-seq").first()
    assert entry.after["since"] == (today - timedelta(days=DAYS)).isoformat()
    assert entry.after["pattern"] == Pattern.STAY_UNREGISTERED and entry.after["raised"] == 1
    unregistered_check(households_of(unit_a2)[1])
    integrity_scan()
    assert AuditEntry.objects.filter(action="integrity.scan").order_by("-seq").first().after["since"] is None


def test_the_window_starts_at_midnight_days_before_today(today):
    since = window_start(today, 35)
    assert timezone.localtime(since).date() == today - timedelta(days=35)
    assert timezone.localtime(since).time() == datetime.min.time()
    assert window_start(today, None) is None
    with pytest.raises(ValueError):
        window_start(today, 0)


# The scheduled job and the command ---------------------------------------------------------------------------------


def _old_and_new_checks(unit, today):
    households = households_of(unit)
    old = unregistered_check(households[0], on=today - timedelta(days=20))
    type(old).objects.filter(pk=old.pk).update(recorded_at=_at(today - timedelta(days=20)))
    new = unregistered_check(households[1], on=today - timedelta(days=2))
    return f"healthcheck:{old.pk}", f"healthcheck:{new.pk}"


def _keys():
    return set(Flag.objects.filter(pattern=Pattern.STAY_UNREGISTERED).values_list("key", flat=True))


@override_settings(INTEGRITY_SCAN_DAYS=DAYS)
def test_the_scheduled_job_scans_the_settings_window(unit_a2, today):
    old, new = _old_and_new_checks(unit_a2, today)
    result = integrity_scan_job(None, lambda *args, **kwargs: None)
    assert result["days"] == DAYS and result["raised"][Pattern.STAY_UNREGISTERED] == 1
    assert new in _keys() and old not in _keys()


@override_settings(INTEGRITY_SCAN_DAYS=DAYS)
def test_the_command_scans_the_settings_window_by_default_and_all_history_with_all(unit_a2, today, capsys):
    old, new = _old_and_new_checks(unit_a2, today)
    call_command("integrity", "scan", "--no-progress")
    assert f"window: the last {DAYS} days" in capsys.readouterr().out
    assert new in _keys() and old not in _keys()
    call_command("integrity", "scan", "--no-progress", "--all")
    assert "window: all history" in capsys.readouterr().out
    assert old in _keys()


def test_the_command_takes_a_window_in_days(unit_a2, today, capsys):
    old, new = _old_and_new_checks(unit_a2, today)
    call_command("integrity", "scan", "--no-progress", "--days", "5")
    out = capsys.readouterr().out
    assert re.search(r"^stay_unregistered +1 raised$", out, re.MULTILINE) and "window: the last 5 days" in out
    assert new in _keys() and old not in _keys()
    call_command("integrity", "scan", "--no-progress", "--days", "21")
    assert old in _keys()


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--days", "0"], "--days"),
        (["--days", "-3"], "--days"),
        (["--days", "a month"], "--days"),
        (["--days", "5", "--all"], "--all"),
    ],
)
def test_the_command_refuses_a_window_that_is_not_one(unit_a2, today, arguments, named):
    _old_and_new_checks(unit_a2, today)
    flags, entries = Flag.objects.count(), AuditEntry.objects.count()
    with pytest.raises(CommandError, match=named):
        call_command("integrity", "scan", "--no-progress", *arguments)
    assert Flag.objects.count() == flags and AuditEntry.objects.count() == entries
