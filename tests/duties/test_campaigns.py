from datetime import time, timedelta
from decimal import Decimal

import pytest

from inminban.audit.models import AuditEntry
from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.duties import selectors, services
from inminban.duties.models import AllocationRule, Share
from inminban.registry.models import Household, Membership, Person
from inminban.registry.services import person_register


def _members(household, on):
    return list(Membership.objects.current_on(on).filter(household=household).select_related("person"))


def test_quota_is_allocated_exactly_and_explained(make_campaign, cast, unit_a1, today):
    campaign = make_campaign(unit_a1.parent)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="30")
    shares = list(Share.objects.filter(quota=quota))
    households = Household.objects.filter(unit=unit_a1).count()
    assert len(shares) == households
    assert sum(s.quantity for s in shares) == Decimal("30")
    for share in shares:
        assert share.quantity % campaign.step == 0  # whole steps of half an hour
        explanation = selectors.share_explanation(share)
        assert explanation["rule"]["method"] == "equal"
        assert explanation["share"] == str(share.quantity)
        assert explanation["total_weight"] == sum(1 for s in shares if s.explanation["allotment"]["weight"])
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "quota.set" and entry.area_path == unit_a1.path
    assert sum(Decimal(v) for v in entry.after["shares"].values()) == Decimal("30")


def test_working_age_rule_counts_liable_members_and_honours_exemptions(cast, make_campaign, unit_a1, today):
    rule = services.rule_create(
        actor=cast["admin"], code="per-worker", method=AllocationRule.Method.WORKING_AGE, min_age=17, max_age=60
    )
    household = Household.objects.filter(unit=unit_a1).order_by("number").first()
    adult = next(m.person for m in _members(household, today) if 17 <= (today - m.person.birth_date).days // 366 <= 59)
    services.exemption_record(actor=cast["leader-a1"], person=adult, reason="disability", since=today)
    campaign = make_campaign(unit_a1, rule=rule)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="40")
    share = Share.objects.get(quota=quota, household=household)
    assert share.explanation["exempt"]["exemption"] == 1
    # The reason stays with the leader: the household's part of the explanation only counts "exemption".
    assert "disability" not in str({k: v for k, v in share.explanation.items() if k != "rule"})
    assert share.explanation["allotment"]["weight"] == share.explanation["liable"]
    assert sum(s.quantity for s in quota.shares.all()) == Decimal("40")


def test_household_with_only_exempt_members_gets_zero(cast, make_campaign, unit_a1, today):
    household = Household.objects.filter(unit=unit_a1).order_by("number").last()
    for membership in _members(household, today):
        services.exemption_record(actor=cast["leader-a1"], person=membership.person, reason="pregnancy", since=today)
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="31.5")
    share = Share.objects.get(quota=quota, household=household)
    assert share.quantity == 0 and share.explanation["zero_reason"] == "no_liable_member"
    assert sum(s.quantity for s in quota.shares.all()) == Decimal("31.5")


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("-5", "cannot be negative"),
        (-1, "cannot be negative"),
        ("abc", "A number is required"),
        ("NaN", "finite number"),
        ("Infinity", "finite number"),
        (None, "A number is required"),
        (True, "A number is required"),
        ("1.234", "two decimal places"),
        ("10.25", "whole multiple of 0.5"),
        ("1e20", "too large"),
    ],
)
def test_bad_quota_is_refused(make_campaign, cast, unit_a1, quantity, message, nothing_written):
    campaign = make_campaign(unit_a1)
    with nothing_written(), pytest.raises(DomainError, match=message) as error:
        services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity=quantity)
    assert error.value.field == "quantity"


def test_quota_outside_the_campaign_area_or_not_a_unit_is_refused(
    make_campaign, cast, unit_a1, unit_a2, nothing_written
):
    campaign = make_campaign(unit_a1)
    with nothing_written(), pytest.raises(DomainError, match="outside"):
        services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a2, quantity="4")
    with nothing_written(), pytest.raises(DomainError, match="not a unit"):
        services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1.parent, quantity="4")


def test_leader_cannot_set_quota(make_campaign, cast, unit_a1, nothing_written):
    campaign = make_campaign(unit_a1)
    with nothing_written(), pytest.raises(NotPermitted):
        services.quota_set(actor=cast["leader-a1"], obligation=campaign, unit=unit_a1, quantity="4")


def test_quota_can_be_reset_until_households_start(make_campaign, make_session, cast, unit_a1, today):
    campaign = make_campaign(unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="8")
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="12")
    assert sum(s.quantity for s in quota.shares.all()) == Decimal("12")
    session = make_session(campaign, unit_a1)
    person = _members(Household.objects.filter(unit=unit_a1).first(), today)[0].person
    services.attendance_record(actor=cast["leader-a1"], session=session, person=person)
    with pytest.raises(DomainError, match="already started"):
        services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")


def test_all_exempt_unit_cannot_carry_a_quota(cast, make_campaign, unit_a1, nothing_written):
    rule = services.rule_create(actor=cast["admin"], code="nobody", method="working_age", min_age=100, max_age=120)
    campaign = make_campaign(unit_a1, rule=rule)
    with nothing_written(), pytest.raises(DomainError, match="every member is exempt"):
        services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="4")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"measure": "kpw"}, "measure"),
        ({"measure": "litres"}, "measure"),
        ({"step": "-1"}, "step"),
        ({"step": "0"}, "step"),
        ({"title_ko": "", "title_en": ""}, "title_en"),
    ],
)
def test_bad_campaign_is_refused(make_campaign, unit_a1, overrides, field, nothing_written):
    with nothing_written(), pytest.raises(DomainError) as error:
        make_campaign(unit_a1, **overrides)
    assert error.value.field == field


def test_campaign_ending_before_it_starts_is_refused(make_campaign, unit_a1, today, nothing_written):
    with nothing_written(), pytest.raises(DomainError) as error:
        make_campaign(unit_a1, starts_on=today, ends_on=today - timedelta(days=1))
    assert error.value.field == "ends_on"


@pytest.mark.parametrize("days", [-4, 11, 40])
def test_session_outside_campaign_dates_is_refused(
    make_campaign, make_session, cast, unit_a1, today, days, nothing_written
):
    campaign = make_campaign(unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="8")
    with nothing_written(), pytest.raises(DomainError, match="within the campaign") as error:
        make_session(campaign, unit_a1, on=today + timedelta(days=days))
    assert error.value.field == "on"


def test_session_needs_a_quota_and_sensible_times(make_campaign, make_session, cast, unit_a1, nothing_written):
    campaign = make_campaign(unit_a1)
    with nothing_written(), pytest.raises(DomainError, match="no quota"):
        make_session(campaign, unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="8")
    with nothing_written(), pytest.raises(DomainError) as error:
        make_session(campaign, unit_a1, starts_at=time(12, 0), ends_at=time(8, 0))
    assert error.value.field == "ends_at"


def test_attendance_counts_towards_the_household_share(make_campaign, make_session, cast, unit_a1, today):
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1, actor=cast["leader-a1"])
    household = Household.objects.filter(unit=unit_a1).order_by("number").first()
    person = _members(household, today)[0].person
    attendance = services.attendance_record(actor=cast["leader-a1"], session=session, person=person)
    assert attendance.hours == Decimal("4.00")
    share = Share.objects.get(quota=quota, household=household)
    assert share.done == Decimal("4.00") and share.fulfilled
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "attendance.record" and entry.household_id == household.pk
    progress = selectors.obligation_progress(actor=cast["officer-a"], obligation=campaign)
    assert progress["done"] == Decimal("4.00") and progress["fulfilled"] == 1


def test_attendance_for_a_person_outside_the_unit_is_refused(
    make_campaign, make_session, cast, unit_a1, unit_b1, today, nothing_written
):
    campaign = make_campaign(unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    outsider = Person.objects.filter(household__unit=unit_b1).first()
    with nothing_written(), pytest.raises(DomainError, match="is not a member of a household of this unit") as error:
        services.attendance_record(actor=cast["officer-a"], session=session, person=outsider)
    assert error.value.field == "person"


def test_attendance_twice_too_long_or_in_the_future_is_refused(
    make_campaign, make_session, cast, unit_a1, today, nothing_written
):
    campaign = make_campaign(unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    later = make_session(campaign, unit_a1, on=today + timedelta(days=2))
    person = Person.objects.filter(household__unit=unit_a1).first()
    services.attendance_record(actor=cast["leader-a1"], session=session, person=person, hours="2")
    with nothing_written():
        with pytest.raises(DomainError, match="already recorded"):
            services.attendance_record(actor=cast["leader-a1"], session=session, person=person)
        other = Person.objects.filter(household__unit=unit_a1).exclude(pk=person.pk).first()
        with pytest.raises(DomainError, match="At most 4 hours") as error:
            services.attendance_record(actor=cast["leader-a1"], session=session, person=other, hours="4.5")
        assert error.value.field == "hours"
        with pytest.raises(DomainError, match="not taken place"):
            services.attendance_record(actor=cast["leader-a1"], session=later, person=other)
        with pytest.raises(DomainError, match="more than zero"):
            services.attendance_record(actor=cast["leader-a1"], session=session, person=other, hours="0")


def test_leader_of_other_unit_cannot_record_attendance(make_campaign, make_session, cast, unit_a1, nothing_written):
    campaign = make_campaign(unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    person = Person.objects.filter(household__unit=unit_a1).first()
    with nothing_written(), pytest.raises(NotVisible):
        services.attendance_record(actor=cast["leader-b1"], session=session, person=person)
    with nothing_written(), pytest.raises(NotPermitted):
        services.attendance_record(actor=cast["auditor"], session=session, person=person)


def test_attendance_sheet_adds_and_removes(make_campaign, make_session, cast, unit_a1):
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    persons = list(Person.objects.filter(household__unit=unit_a1).order_by("pk")[:3])
    result = services.session_attendance_set(
        actor=cast["leader-a1"], session=session, person_ids=[p.pk for p in persons]
    )
    assert result == {"added": [p.pk for p in persons], "removed": []}
    result = services.session_attendance_set(actor=cast["leader-a1"], session=session, person_ids=[persons[0].pk])
    assert result == {"added": [], "removed": [persons[1].pk, persons[2].pk]}
    assert sum(s.done for s in quota.shares.all()) == Decimal("4.00")


def test_bad_sheet_writes_nothing(make_campaign, make_session, cast, unit_a1, unit_b1, nothing_written):
    campaign = make_campaign(unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    good = Person.objects.filter(household__unit=unit_a1).first()
    outsider = Person.objects.filter(household__unit=unit_b1).first()
    with nothing_written(), pytest.raises(DomainError):
        services.session_attendance_set(actor=cast["officer-a"], session=session, person_ids=[good.pk, outsider.pk])


def test_waiver_approved_is_forgiven_not_redistributed(make_campaign, cast, unit_a1):
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    shares = list(quota.shares.order_by("household__number"))
    before = {s.pk: s.quantity for s in shares}
    waiver = services.waiver_request(actor=cast["leader-a1"], share=shares[0], reason="Head of household in hospital")
    assert waiver.quantity == shares[0].quantity
    services.waiver_decide(actor=cast["officer-a"], waiver=waiver, approve=True, note="Granted")
    shares[0].refresh_from_db()
    assert shares[0].waived == shares[0].quantity and shares[0].due == 0
    assert {s.pk: s.quantity for s in quota.shares.all()} == before
    actions = list(AuditEntry.objects.order_by("-seq").values_list("action", flat=True)[:2])
    assert actions == ["waiver.approved", "waiver.request"]


def test_waiver_rules(make_campaign, cast, unit_a1, nothing_written):
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    share = quota.shares.order_by("household__number").first()
    with nothing_written():
        with pytest.raises(DomainError, match="At most"):
            services.waiver_request(actor=cast["leader-a1"], share=share, reason="x", quantity="100")
        with pytest.raises(DomainError) as error:
            services.waiver_request(actor=cast["leader-a1"], share=share, reason="  ")
        assert error.value.field == "reason"
    waiver = services.waiver_request(actor=cast["leader-a1"], share=share, reason="Flooded house", quantity="1")
    with nothing_written():
        with pytest.raises(DomainError, match="already waiting"):
            services.waiver_request(actor=cast["leader-a1"], share=share, reason="again", quantity="1")
        with pytest.raises(NotPermitted):
            services.waiver_decide(actor=cast["leader-a1"], waiver=waiver, approve=True)
    services.waiver_decide(actor=cast["officer-a"], waiver=waiver, approve=False, note="No")
    with nothing_written(), pytest.raises(DomainError, match="already rejected"):
        services.waiver_decide(actor=cast["officer-a"], waiver=waiver, approve=True)


def test_resident_may_ask_for_a_waiver_for_own_household_only(make_campaign, cast, unit_a1, nothing_written):
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    own_id = cast["resident-a1"].role_assignments.get(role="resident").person.household_id
    own = quota.shares.get(household_id=own_id)
    other = quota.shares.exclude(household_id=own_id).first()
    services.waiver_request(actor=cast["resident-a1"], share=own, reason="Harvest failed", quantity="1")
    with nothing_written(), pytest.raises(NotVisible):
        services.waiver_request(actor=cast["resident-a1"], share=other, reason="Harvest failed", quantity="1")


def test_new_member_after_allocation_does_not_change_shares(make_campaign, cast, unit_a1, today):
    """Reproducible: shares are fixed at allocation; a birth later changes nothing until the quota is re-set."""
    campaign = make_campaign(unit_a1)
    quota = services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    before = list(quota.shares.values_list("household_id", "quantity"))
    household = Household.objects.filter(unit=unit_a1).first()
    person_register(
        actor=cast["leader-a1"],
        household=household,
        family_name="김",
        given_name="새별",
        birth_date=today,
        sex="F",
        relation="child",
        since=today,
    )
    assert list(quota.shares.values_list("household_id", "quantity")) == before


def test_allocation_costs_the_same_queries_however_many_households(make_campaign, cast, unit_a1, today):
    """Set-based: a fixed number of queries per unit, not one (or more) per household."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inminban.registry.services import household_register

    def queries_for_new_quota() -> int:
        campaign = make_campaign(unit_a1)
        with CaptureQueriesContext(connection) as captured:
            services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="30")
        return len(captured)

    queries_for_new_quota()  # warm up: the actor's scope is worked out once and cached
    before = queries_for_new_quota()
    for number in range(5):
        household = household_register(
            actor=cast["leader-a1"], unit=unit_a1, number=f"HS-A1-Q{number}", registered_on=today
        )
        person_register(
            actor=cast["leader-a1"],
            household=household,
            family_name="리",
            given_name=f"철{number}",
            birth_date=today - timedelta(days=30 * 365),
            sex="M",
            relation="head",
            since=today,
        )
    assert queries_for_new_quota() == before


def test_exemption_reason_never_reaches_the_household_history(cast, unit_a1):
    from django.utils import timezone

    from inminban.duties import services as duty_services

    member = Membership.objects.filter(household__unit=unit_a1, until=None).first().person
    duty_services.exemption_record(
        actor=cast["leader-a1"], person=member, reason="disability", since=timezone.localdate()
    )
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "exemption.record"
    assert entry.household_id is None
    assert "disability" not in str(entry.after) and "reason" not in entry.after


@pytest.mark.parametrize("which", ["other_unit", "unknown", "huge"])
def test_sheet_does_not_tell_apart_other_units_persons_from_unknown_ids(
    make_campaign, make_session, cast, unit_a1, unit_b1, nothing_written, which
):
    campaign = make_campaign(unit_a1)
    services.quota_set(actor=cast["officer-a"], obligation=campaign, unit=unit_a1, quantity="16")
    session = make_session(campaign, unit_a1)
    outsider = Person.objects.filter(household__unit=unit_b1).first()
    person_id = {"other_unit": outsider.pk, "unknown": 10**9, "huge": 10**22}[which]
    with nothing_written(), pytest.raises(DomainError) as error:
        services.session_attendance_set(actor=cast["leader-a1"], session=session, person_ids=[person_id])
    assert error.value.field == "person"
    assert outsider.given_name not in error.value.message
