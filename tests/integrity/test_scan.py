"""The integrity scan, pattern by pattern: each raises its flag on the records that show it and not on those that do
not; flags carry record ids and numbers (never a name), go to the office governing the unit, name the leader
concerned; a repeat scan raises nothing; an office's rule (off, or another threshold) holds for its subtree."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from inminban.audit.models import AuditEntry
from inminban.duties import services as duties
from inminban.duties.models import Attendance, Share
from inminban.integrity.models import DetectionRule, Flag, Pattern
from inminban.integrity.scan import integrity_scan
from inminban.registry import services as registry
from inminban.registry.models import Membership, Person, Stay

from .building import (
    GUEST,
    campaign_for,
    flags,
    households_of,
    levy_for,
    members_of,
    new_member,
    office,
    own_household,
    ration_cycle,
    scan,
    session_for,
    share_of,
    stay,
    unregistered_check,
    user,
)


@pytest.fixture
def today():
    return timezone.localdate()


def _rule(office_code, pattern, **values):
    """An office's own detection rule, written directly (the service and its permissions are tested apart)."""
    defaults = {"enabled": True, "threshold": Decimal("0"), "min_count": 1}
    return DetectionRule.objects.create(
        office=office(office_code) if office_code else None,
        pattern=pattern,
        changed_by=user("admin"),
        changed_at=timezone.now(),
        **(defaults | values),
    )


# A guest seen at a health check with no registered stay --------------------------------------------------------------


def test_an_unregistered_guest_at_a_check_raises_one_flag_for_the_unit(cast, unit_a1, household_a1, today):
    check = unregistered_check(household_a1)
    raised = scan()
    assert raised[Pattern.STAY_UNREGISTERED] == 1
    flag = flags(Pattern.STAY_UNREGISTERED).get()
    assert flag.key == f"healthcheck:{check.pk}"
    assert flag.unit == unit_a1 and flag.office.code == "HS-A-OFFICE"
    assert flag.leader == cast["leader-a1"]  # the unit's sitting leader that day
    assert flag.occurred_on == today and flag.status == Flag.Status.OPEN
    assert flag.evidence == [{"type": "healthcheck", "id": check.pk}]
    assert flag.facts == {"household": household_a1.pk}
    assert GUEST not in str(flag.evidence) + str(flag.facts) + str(flag.__dict__)
    assert scan()[Pattern.STAY_UNREGISTERED] == 0
    assert flags(Pattern.STAY_UNREGISTERED).count() == 1


def test_a_guest_with_a_stay_covering_the_night_raises_nothing(household_a1, today):
    stay(household_a1, arrives_on=today - timedelta(days=2), departs_on=today - timedelta(days=1), departed_on=None)
    unregistered_check(household_a1, on=today - timedelta(days=1))
    # Still there past the expected departure (no departure recorded): covered up to the expected departure only.
    stay(household_a1, arrives_on=today - timedelta(days=5), departs_on=today + timedelta(days=1), departed_on=today)
    unregistered_check(household_a1, on=today)
    assert scan()[Pattern.STAY_UNREGISTERED] == 0


def test_another_guests_stay_covers_nothing(household_a1, today):
    """Two guests, one registered: the one seen at the check without a stay of their own is still flagged."""
    stay(household_a1, arrives_on=today - timedelta(days=1), departs_on=today + timedelta(days=1), guest_name="박순희")
    check = unregistered_check(household_a1)
    assert scan()[Pattern.STAY_UNREGISTERED] == 1
    assert flags(Pattern.STAY_UNREGISTERED).get().key == f"healthcheck:{check.pk}"


def test_a_stay_registered_after_the_check_does_not_cover_it(household_a1, today):
    """Registering the guest once the health worker has seen them, back to the night of the check, is the cover-up
    this pattern looks for: still flagged, even when the scan runs after the late registration."""
    check = unregistered_check(household_a1, on=today - timedelta(days=1))
    stay(household_a1, arrives_on=today - timedelta(days=2), departs_on=today + timedelta(days=1))
    assert Stay.objects.get().registered_at > check.recorded_at
    assert scan()[Pattern.STAY_UNREGISTERED] == 1


def test_the_guests_own_stay_registered_before_the_check_lets_it_pass(household_a1, today):
    """The worker missed a registration that was there: the same guest (spaces aside), registered before."""
    stay(
        household_a1,
        arrives_on=today - timedelta(days=1),
        departs_on=today + timedelta(days=1),
        guest_name=GUEST[:1] + " " + GUEST[1:],
        registered_at=timezone.now() - timedelta(hours=3),
    )
    unregistered_check(household_a1)
    assert scan()[Pattern.STAY_UNREGISTERED] == 0


def test_a_stay_that_ended_before_the_night_or_another_households_does_not_cover_it(household_a1, unit_a1, today):
    stay(household_a1, arrives_on=today - timedelta(days=6), departs_on=today, departed_on=today - timedelta(days=3))
    stay(households_of(unit_a1)[2], arrives_on=today - timedelta(days=1), departs_on=today + timedelta(days=1))
    check = unregistered_check(household_a1, on=today - timedelta(days=1))
    assert scan()[Pattern.STAY_UNREGISTERED] == 1
    assert flags(Pattern.STAY_UNREGISTERED).get().key == f"healthcheck:{check.pk}"


def test_a_check_after_the_scans_day_waits_for_a_later_scan(household_a1, today):
    unregistered_check(household_a1, on=today)
    assert scan(today=today - timedelta(days=1))[Pattern.STAY_UNREGISTERED] == 0
    assert scan(today=today)[Pattern.STAY_UNREGISTERED] == 1


def test_one_audit_entry_per_pattern_and_run_by_the_system(household_a1, unit_a1, audit_count):
    unregistered_check(household_a1)
    unregistered_check(households_of(unit_a1)[2])
    before = audit_count()
    scan()
    entries = AuditEntry.objects.filter(action="integrity.scan").order_by("-seq")
    assert audit_count() == before + 1
    entry = entries.first()
    assert entry.actor_id is None and entry.actor_name == "system"
    assert entry.after["pattern"] == Pattern.STAY_UNREGISTERED and entry.after["raised"] == 2
    assert GUEST not in str(entry.__dict__)
    scan()
    assert audit_count() == before + 1  # nothing raised, nothing written


def test_progress_reports_every_pattern(db):
    reports = []
    integrity_scan(progress=lambda done, total, message="": reports.append((done, total)))
    assert reports == [(index, len(Pattern.values)) for index in range(1, len(Pattern.values) + 1)]


# Rules per office ---------------------------------------------------------------------------------------------------


def test_a_rule_switched_off_for_an_office_skips_its_subtree_only(household_a1, household_b1):
    _rule("HS-A-OFFICE", Pattern.STAY_UNREGISTERED, enabled=False)
    unregistered_check(household_a1)
    other = unregistered_check(household_b1, worker="health-b")
    assert scan()[Pattern.STAY_UNREGISTERED] == 1
    assert flags(Pattern.STAY_UNREGISTERED).get().key == f"healthcheck:{other.pk}"


def test_an_office_below_inherits_the_rule_of_the_office_above_unless_it_has_its_own(household_a1, household_b1):
    _rule("HS-OFFICE", Pattern.STAY_UNREGISTERED, enabled=False)
    _rule("HS-B-OFFICE", Pattern.STAY_UNREGISTERED, enabled=True)
    unregistered_check(household_a1)
    other = unregistered_check(household_b1, worker="health-b")
    assert scan()[Pattern.STAY_UNREGISTERED] == 1
    assert flags(Pattern.STAY_UNREGISTERED).get().key == f"healthcheck:{other.pk}"


def test_the_deployments_row_switches_a_pattern_off_everywhere(household_a1):
    _rule(None, Pattern.STAY_UNREGISTERED, enabled=False)
    unregistered_check(household_a1)
    assert scan()[Pattern.STAY_UNREGISTERED] == 0


# A leader's own household -------------------------------------------------------------------------------------------


def test_a_leader_recording_their_own_households_attendance_is_flagged(cast, unit_a1):
    campaign = campaign_for(unit_a1)
    session = session_for(campaign, unit_a1, actor="leader-a1")
    own = own_household("leader-a1")
    persons = members_of(own)
    duties.session_attendance_set(actor=cast["leader-a1"], session=session, person_ids=[p.pk for p in persons])
    assert scan()[Pattern.LEADER_OWN_ATTENDANCE] == 1
    flag = flags(Pattern.LEADER_OWN_ATTENDANCE).get()
    assert flag.key == f"session:{session.pk}:household:{own.pk}"
    assert flag.leader == cast["leader-a1"] and flag.unit == unit_a1
    attendance_ids = set(Attendance.objects.filter(session=session).values_list("pk", flat=True))
    assert {"type": "session", "id": session.pk} in flag.evidence
    assert {item["id"] for item in flag.evidence if item["type"] == "attendance"} == attendance_ids
    assert flag.facts["attendances"] == len(persons) and flag.facts["household"] == own.pk
    assert Decimal(str(flag.facts["hours"])) == Decimal(4 * len(persons))


def test_attendance_for_a_household_not_the_recorders_own_is_not_flagged(cast, unit_a1, unit_b1, household_a1):
    campaign = campaign_for(unit_a1)
    session = session_for(campaign, unit_a1, actor="leader-a1")
    duties.session_attendance_set(
        actor=cast["leader-a1"], session=session, person_ids=[p.pk for p in members_of(household_a1)]
    )
    campaign_b = campaign_for(unit_b1, officer="officer-b", office_code="HS-B-OFFICE")
    session_b = session_for(campaign_b, unit_b1, actor="leader-b1")
    not_theirs = next(h for h in households_of(unit_b1) if h != own_household("leader-b1"))
    duties.session_attendance_set(
        actor=cast["leader-b1"], session=session_b, person_ids=[p.pk for p in members_of(not_theirs)]
    )
    raised = scan()
    assert raised[Pattern.LEADER_OWN_ATTENDANCE] == 0
    assert raised[Pattern.BULK_ATTENDANCE] == 0  # one household in one go is no bulk


def test_a_leader_confirming_their_own_households_share_is_flagged(cast, unit_a1):
    levy = levy_for(unit_a1)
    own = own_household("leader-a1")
    share = share_of(levy, own)
    duties.delivery_record(
        actor=cast["leader-a1"], share=share, quantity=share.quantity, measure="kg", delivered_on=timezone.localdate()
    )
    stamp = duties.share_confirm(actor=cast["leader-a1"], share=share)
    raised = scan()
    assert raised[Pattern.LEADER_OWN_CONFIRMATION] == 1
    assert raised[Pattern.STAMP_UNFULFILLED] == 0  # delivered in full
    flag = flags(Pattern.LEADER_OWN_CONFIRMATION).get()
    assert flag.key == f"stamp:{stamp.pk}" and flag.leader == cast["leader-a1"]
    assert flag.evidence == [{"type": "stamp", "id": stamp.pk}, {"type": "share", "id": share.pk}]
    assert flag.facts == {"household": own.pk}


def test_a_leader_confirming_a_directive_for_their_own_household_is_flagged(cast, unit_a1):
    directive = duties.directive_issue(
        actor=cast["officer-a"],
        office=office("HS-A-OFFICE"),
        area=unit_a1,
        title_ko="겨울철 화재 예방",
        title_en="Fire safety",
        text_en="Check the stoves.",
        effective_on=timezone.localdate(),
        due_on=timezone.localdate() + timedelta(days=7),
    )
    ack = duties.directive_acknowledge(
        actor=cast["leader-a1"], directive=directive, household=own_household("leader-a1")
    )
    stamp = duties.acknowledgement_confirm(actor=cast["leader-a1"], acknowledgement=ack)
    assert scan()[Pattern.LEADER_OWN_CONFIRMATION] == 1
    assert flags(Pattern.LEADER_OWN_CONFIRMATION).get().evidence == [{"type": "stamp", "id": stamp.pk}]


def test_confirming_another_households_share_is_not_flagged(cast, unit_a1, unit_b1, household_a1):
    levy = levy_for(unit_a1)
    share = share_of(levy, household_a1)
    duties.delivery_record(
        actor=cast["leader-a1"], share=share, quantity=share.quantity, measure="kg", delivered_on=timezone.localdate()
    )
    duties.share_confirm(actor=cast["leader-a1"], share=share)
    levy_b = levy_for(unit_b1, officer="officer-b", office_code="HS-B-OFFICE")
    not_theirs = next(h for h in households_of(unit_b1) if h != own_household("leader-b1"))
    share_b = share_of(levy_b, not_theirs)
    duties.delivery_record(
        actor=cast["leader-b1"],
        share=share_b,
        quantity=share_b.quantity,
        measure="kg",
        delivered_on=timezone.localdate(),
    )
    duties.share_confirm(actor=cast["leader-b1"], share=share_b)
    assert scan()[Pattern.LEADER_OWN_CONFIRMATION] == 0


# Stamps without the work ----------------------------------------------------------------------------------------------


def _stamp_without_work(leader, share):
    """The falsified record: the share marked done with nothing behind it, then confirmed (as in the seed)."""
    Share.objects.filter(pk=share.pk).update(done=F("quantity") - F("waived"))
    share.refresh_from_db()
    return duties.share_confirm(actor=leader, share=share)


def test_a_stamp_without_the_attendance_that_fulfils_it_is_flagged(cast, unit_a1, household_a1):
    campaign = campaign_for(unit_a1)
    share = share_of(campaign, household_a1)
    stamp = _stamp_without_work(cast["leader-a1"], share)
    raised = scan()
    assert raised[Pattern.STAMP_UNFULFILLED] == 1
    assert raised[Pattern.LEADER_OWN_CONFIRMATION] == 0  # not the leader's household
    flag = flags(Pattern.STAMP_UNFULFILLED).get()
    assert flag.key == f"stamp:{stamp.pk}" and flag.leader == cast["leader-a1"]
    assert flag.evidence == [{"type": "stamp", "id": stamp.pk}, {"type": "share", "id": share.pk}]
    assert Decimal(str(flag.facts["recorded"])) == 0 and Decimal(str(flag.facts["due"])) == share.quantity


def test_the_seeds_leader_stamping_their_own_household_without_attendance_raises_both(cast, unit_a1):
    campaign = campaign_for(unit_a1)
    _stamp_without_work(cast["leader-a1"], share_of(campaign, own_household("leader-a1")))
    raised = scan()
    assert raised[Pattern.STAMP_UNFULFILLED] == 1 and raised[Pattern.LEADER_OWN_CONFIRMATION] == 1


def test_a_stamp_backed_by_attendance_or_revoked_is_not_flagged(cast, unit_a1, household_a1):
    from inminban.stamps.services import stamp_revoke

    campaign = campaign_for(unit_a1)
    share = share_of(campaign, household_a1)
    session = session_for(campaign, unit_a1, actor="leader-a1")
    worker = members_of(household_a1)[0]
    duties.attendance_record(actor=cast["leader-a1"], session=session, person=worker, hours=share.quantity)
    duties.share_confirm(actor=cast["leader-a1"], share=share)
    other = share_of(campaign, households_of(unit_a1)[2])
    stamp = _stamp_without_work(cast["leader-a1"], other)
    stamp_revoke(actor=cast["officer-a"], stamp=stamp, reason="잘못 발급")
    assert scan()[Pattern.STAMP_UNFULFILLED] == 0


# Attendance in bulk, and late --------------------------------------------------------------------------------------


def _working_age(household, campaign, on):
    rule = campaign.rule
    return [p for p in members_of(household, on) if rule.min_age <= _age(p.birth_date, on) <= rule.max_age]


def _age(birth, on):
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def test_whole_households_recorded_in_one_go_are_flagged_past_the_threshold(cast, unit_a1, today):
    _rule("HS-A-OFFICE", Pattern.BULK_ATTENDANCE, threshold=Decimal("80"), min_count=2)
    campaign = campaign_for(unit_a1)
    session = session_for(campaign, unit_a1, actor="officer-a")
    leaders = own_household("leader-a1")
    others = [h for h in households_of(unit_a1) if h != leaders and _working_age(h, campaign, today)]
    persons = [p.pk for household in others for p in _working_age(household, campaign, today)]
    duties.session_attendance_set(actor=cast["officer-a"], session=session, person_ids=persons)
    raised = scan()
    assert raised[Pattern.BULK_ATTENDANCE] == 1
    flag = flags(Pattern.BULK_ATTENDANCE).get()
    assert flag.key == f"session:{session.pk}" and flag.evidence == [{"type": "session", "id": session.pk}]
    assert flag.facts == {"households": len(others), "attending_households": len(others)}
    assert flag.leader is None  # an officer recorded it: no leader to answer


def test_partial_households_or_too_few_are_not_bulk(cast, unit_a1, today):
    campaign = campaign_for(unit_a1)
    session = session_for(campaign, unit_a1, actor="leader-a1")
    leaders = own_household("leader-a1")
    others = [h for h in households_of(unit_a1) if h != leaders and _working_age(h, campaign, today)]
    persons = [p.pk for household in others for p in _working_age(household, campaign, today)]
    duties.session_attendance_set(actor=cast["leader-a1"], session=session, person_ids=persons)
    assert scan()[Pattern.BULK_ATTENDANCE] == 0  # fewer than the default five households
    _rule("HS-A-OFFICE", Pattern.BULK_ATTENDANCE, threshold=Decimal("80"), min_count=2)
    # The largest household recorded person by person, half an hour apart: not in one go. Two of three left.
    largest = max(others, key=lambda household: len(_working_age(household, campaign, today)))
    assert len(_working_age(largest, campaign, today)) >= 2 and len(others) == 3
    first = Attendance.objects.filter(session=session, household=largest).order_by("pk").first()
    Attendance.objects.filter(pk=first.pk).update(recorded_at=timezone.now() - timedelta(minutes=30))
    assert scan()[Pattern.BULK_ATTENDANCE] == 0
    DetectionRule.objects.filter(pattern=Pattern.BULK_ATTENDANCE).update(threshold=Decimal("60"))
    assert scan()[Pattern.BULK_ATTENDANCE] == 1
    assert flags(Pattern.BULK_ATTENDANCE).get().facts == {"households": 2, "attending_households": 3}
    assert flags(Pattern.BULK_ATTENDANCE).get().leader == cast["leader-a1"]


def test_attendance_recorded_days_after_the_session_is_flagged(cast, unit_a1, household_a1, today):
    campaign = campaign_for(unit_a1)
    late_session = session_for(campaign, unit_a1, actor="leader-a1", on=today - timedelta(days=5))
    fresh_session = session_for(campaign, unit_a1, actor="leader-a1", on=today - timedelta(days=2))
    worker = members_of(household_a1)[0]
    late = duties.attendance_record(actor=cast["leader-a1"], session=late_session, person=worker, hours=1)
    duties.attendance_record(actor=cast["leader-a1"], session=fresh_session, person=worker, hours=1)
    raised = scan()
    assert raised[Pattern.LATE_ATTENDANCE] == 1
    flag = flags(Pattern.LATE_ATTENDANCE).get()
    assert flag.key == f"session:{late_session.pk}:late:{cast['leader-a1'].pk}"
    assert flag.leader == cast["leader-a1"] and flag.occurred_on == late_session.on
    assert flag.facts == {"attendances": 1, "days_after": 5}
    assert {"type": "attendance", "id": late.pk} in flag.evidence


def test_an_offices_threshold_for_late_attendance_holds_in_its_units(cast, unit_a1, household_a1, today):
    _rule("HS-A-OFFICE", Pattern.LATE_ATTENDANCE, threshold=Decimal("7"))
    campaign = campaign_for(unit_a1)
    session = session_for(campaign, unit_a1, actor="leader-a1", on=today - timedelta(days=5))
    duties.attendance_record(actor=cast["leader-a1"], session=session, person=members_of(household_a1)[0], hours=1)
    assert scan()[Pattern.LATE_ATTENDANCE] == 0
    assert scan(today=today + timedelta(days=10))[Pattern.LATE_ATTENDANCE] == 0  # recorded 5 days after: fine


# Waivers far above the district's rate -----------------------------------------------------------------------------


def _approve_waivers(cast, campaign, households):
    for household in households:
        share = share_of(campaign, household)
        waiver = duties.waiver_request(actor=cast["leader-a1"], share=share, reason="병환", quantity=Decimal("1"))
        duties.waiver_decide(actor=cast["officer-a"], waiver=waiver, approve=True)


def test_a_unit_with_waivers_far_above_its_districts_rate_is_flagged(cast, unit_a1, unit_a2, today):
    campaign = campaign_for(unit_a1, unit_a2)
    _approve_waivers(cast, campaign, households_of(unit_a1)[:3])
    # A1: 3 waivers for 4 shares; the district (A1 and A2): 3 for 8, half A1's rate.
    assert scan()[Pattern.WAIVER_RATE] == 0  # twice the district's rate, below the default three times
    _rule("HS-A-OFFICE", Pattern.WAIVER_RATE, threshold=Decimal("1.5"), min_count=3)
    assert scan()[Pattern.WAIVER_RATE] == 1
    flag = flags(Pattern.WAIVER_RATE).get()
    quarter = (today.month - 1) // 3 + 1
    assert flag.key == f"unit:{unit_a1.pk}:{today.year}-Q{quarter}" and flag.unit == unit_a1
    assert flag.leader == cast["leader-a1"]
    assert flag.facts == {"waivers": 3, "exemptions": 0, "shares": 4, "district_events": 3, "district_shares": 8}
    assert len([item for item in flag.evidence if item["type"] == "waiver"]) == 3
    assert scan()[Pattern.WAIVER_RATE] == 0  # once a quarter


def test_too_few_waivers_are_not_a_rate(cast, unit_a1, unit_a2):
    campaign = campaign_for(unit_a1, unit_a2)
    _approve_waivers(cast, campaign, households_of(unit_a1)[:2])
    _rule("HS-A-OFFICE", Pattern.WAIVER_RATE, threshold=Decimal("1.5"), min_count=3)
    assert scan()[Pattern.WAIVER_RATE] == 0


# Members added before a ration cycle -------------------------------------------------------------------------------


def _mover(actor, household, today):
    """A person of another unit who moves into the household today."""
    person = Person.objects.filter(household__unit__code="HS-B2").order_by("pk").first()
    registry.person_move(actor=actor, person=person, household=household, relation="lodger", on=today)
    return person


def test_members_added_by_the_leader_just_before_a_cycle_are_flagged(cast, unit_a1, household_a1, today):
    cycle = ration_cycle(unit_a1, today + timedelta(days=5))
    person = new_member(cast["leader-a1"], household_a1, today)
    raised = scan()
    assert raised[Pattern.MEMBERS_BEFORE_CYCLE] == 1
    flag = flags(Pattern.MEMBERS_BEFORE_CYCLE).get()
    assert flag.key == f"cycle:{cycle.pk}:household:{household_a1.pk}"
    assert flag.leader == cast["leader-a1"] and flag.unit == unit_a1
    membership = Membership.objects.get(person=person, household=household_a1)
    assert flag.evidence == [{"type": "cycle", "id": cycle.pk}, {"type": "membership", "id": membership.pk}]
    assert flag.facts == {"household": household_a1.pk, "members_added": 1, "days_before": 5}
    assert person.given_name not in str(flag.evidence) + str(flag.facts)
    assert scan()[Pattern.MEMBERS_BEFORE_CYCLE] == 0


def test_a_member_moved_in_by_the_leader_counts_for_the_household_joined_not_the_one_left(cast, unit_a1, today):
    ration_cycle(unit_a1, today + timedelta(days=2))
    first, joined = households_of(unit_a1)[0], households_of(unit_a1)[3]
    person = _mover(cast["admin"], first, today - timedelta(days=100))  # by the administrator: not the leader alone
    assert scan()[Pattern.MEMBERS_BEFORE_CYCLE] == 0
    registry.person_move(actor=cast["leader-a1"], person=person, household=joined, relation="lodger", on=today)
    assert scan()[Pattern.MEMBERS_BEFORE_CYCLE] == 1
    assert flags(Pattern.MEMBERS_BEFORE_CYCLE).get().facts["household"] == joined.pk


def test_members_added_by_an_officer_are_not_flagged(cast, unit_a1, household_a1, today):
    ration_cycle(unit_a1, today + timedelta(days=3))
    new_member(cast["officer-a"], household_a1, today)
    assert scan()[Pattern.MEMBERS_BEFORE_CYCLE] == 0


def test_members_added_long_before_the_cycle_are_not_flagged(cast, unit_a1, household_a1, today):
    ration_cycle(unit_a1, today + timedelta(days=30))  # beyond the default 14 days
    new_member(cast["leader-a1"], household_a1, today)
    assert scan()[Pattern.MEMBERS_BEFORE_CYCLE] == 0
    _rule("HS-A-OFFICE", Pattern.MEMBERS_BEFORE_CYCLE, threshold=Decimal("30"))
    assert scan()[Pattern.MEMBERS_BEFORE_CYCLE] == 1


def test_a_member_who_left_before_the_reference_date_is_not_counted(cast, unit_a1, household_a1, today):
    ration_cycle(unit_a1, today + timedelta(days=5))
    person = new_member(cast["leader-a1"], household_a1, today - timedelta(days=1))
    registry.person_leave(actor=cast["leader-a1"], person=person, on=today, status="moved_away")
    assert scan()[Pattern.MEMBERS_BEFORE_CYCLE] == 0
