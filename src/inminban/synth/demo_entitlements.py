"""Entitlements for the demo city: duty → stamp → ration, end to end.

District A's office runs a monthly grain ration gated on the street-cleaning and gravel stamps, and the leader
benefit (five days' worth of the leader's own norm a month). Part of unit A1 finishes its gravel share first, so
the month's cycle, computed by officer-a and approved by officer-a2, has entitled and denied households with their
reasons. Built through the services (every record is audited); idempotent."""

from datetime import time, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inminban.areas.models import Area, Office
from inminban.duties import services as duty_services
from inminban.duties.models import Campaign, Session, Share
from inminban.entitlements import services
from inminban.entitlements.models import Program

from .demo_duties import _workers

DEMO_RATION_NAME = "Monthly grain ration"


def _finish_gravel_in_a1(leader: User, campaign: Campaign, a1: Area) -> None:
    """Two households in three of A1 turn out again and complete their gravel share; the leader confirms them."""
    day = timezone.localdate() - timedelta(days=1)
    session = Session.objects.filter(campaign=campaign, unit=a1, on=day).first() or duty_services.session_create(
        actor=leader, campaign=campaign, unit=a1, on=day, starts_at=time(8, 0), ends_at=time(12, 0)
    )
    shares = Share.objects.filter(quota__campaign=campaign, quota__unit=a1, quantity__gt=0, confirmed_at=None)
    for index, share in enumerate(shares.select_related("household").order_by("household__number")):
        if index % 3 == 2:
            continue
        share.refresh_from_db()
        for person in _workers(share.household, day, 2):
            if share.fulfilled:
                break
            if not session.attendances.filter(person=person).exists():
                duty_services.attendance_record(actor=leader, session=session, person=person)
                share.refresh_from_db()
        if share.fulfilled:
            duty_services.share_confirm(actor=leader, share=share)


@transaction.atomic
def build_demo_entitlements(cast: dict) -> bool:
    """Add the demo programs and an approved cycle unless they are there; True when something was built."""
    if Program.objects.filter(name_en=DEMO_RATION_NAME).exists():
        return False
    officer = cast.get("officer-a") or User.objects.get(username="officer-a")
    checker = cast.get("officer-a2") or User.objects.filter(username="officer-a2").first()
    leader = cast.get("leader-a1") or User.objects.get(username="leader-a1")
    street = Campaign.objects.filter(title_en="Street cleaning").first()
    gravel = Campaign.objects.filter(title_en="Gravel for the greenhouse").first()
    if street is None or gravel is None or checker is None:
        return False  # the demo duties (or the second officer) are not there: nothing to gate on
    office = Office.objects.get(code="HS-A-OFFICE")
    district = Area.objects.get(code="HS-A")
    _finish_gravel_in_a1(leader, gravel, Area.objects.get(code="HS-A1"))

    ration = services.program_create(
        actor=officer,
        office=office,
        area=district,
        kind=Program.Kind.GRAIN_RATION,
        name_ko="월 식량 배급",
        name_en=DEMO_RATION_NAME,
        norms="nine_levels",
        rule={"all": [{"resident": {}}, {"stamp": street.ref}, {"stamp": gravel.ref}]},
    )
    benefit = services.program_create(
        actor=officer,
        office=office,
        area=district,
        kind=Program.Kind.LEADER_BENEFIT,
        name_ko="인민반장 특별배급",
        name_en="Unit leaders' special ration",
        norms="nine_levels",
        rule={"all": [{"resident": {}}, {"leader": {}}]},
        benefit_days=services.DEFAULT_LEADER_DAYS,
    )
    month_start = timezone.localdate().replace(day=1)
    for program in (ration, benefit):
        cycle = services.cycle_create(actor=officer, program=program, period_start=month_start)
        cycle = services.cycle_generate(actor=officer, cycle=cycle)
        services.cycle_approve(actor=checker, cycle=cycle)
    return True
