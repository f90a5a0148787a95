"""A household's duty history, written by the services themselves (the small demo city has none): a directive
acknowledged and confirmed, a levy delivered and confirmed, a labour campaign worked and confirmed, a waiver asked
for, all for resident-a1's household."""

from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inminban.areas.models import Office
from inminban.duties import services
from inminban.duties.models import AllocationRule, Campaign, Directive, Levy, Share


@dataclass
class DutyHistory:
    directive: Directive
    levy: Levy
    campaign: Campaign
    levy_share: Share
    campaign_share: Share


@pytest.fixture
def duty_history(cast, unit_a1, household_a1) -> DutyHistory:
    today = timezone.localdate()
    officer, leader = cast["officer-a"], cast["leader-a1"]
    office = Office.objects.get(code="HS-A-OFFICE")
    rule = AllocationRule.objects.get(code="equal")
    households = unit_a1.households.count()
    directive = services.directive_issue(
        actor=officer,
        office=office,
        area=unit_a1,
        title_ko="겨울철 화재 예방",
        title_en="Fire safety in winter",
        text_en="Check stoves and chimneys.",
        effective_on=today,
        due_on=today + timedelta(days=7),
    )
    ack = services.directive_acknowledge(actor=leader, directive=directive, household=household_a1)
    services.acknowledgement_confirm(actor=leader, acknowledgement=ack)
    levy = services.levy_create(
        actor=officer,
        office=office,
        area=unit_a1,
        kind="food",
        title_ko="군량미 지원",
        title_en="Rice for the army",
        measure="kg",
        rule=rule,
        place="동사무소 창고",
        starts_on=today - timedelta(days=3),
        due_on=today + timedelta(days=20),
    )
    services.quota_set(actor=officer, obligation=levy, unit=unit_a1, quantity=Decimal(5 * households))
    levy_share = Share.objects.get(quota__levy=levy, household=household_a1)
    services.delivery_record(
        actor=leader, share=levy_share, quantity=levy_share.quantity, measure="kg", delivered_on=today
    )
    services.share_confirm(actor=leader, share=levy_share)
    campaign = services.campaign_create(
        actor=officer,
        office=office,
        area=unit_a1,
        title_ko="강하천 정리",
        title_en="River cleanup",
        measure="person_hours",
        rule=rule,
        place="압록강 기슭",
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=10),
    )
    services.quota_set(actor=officer, obligation=campaign, unit=unit_a1, quantity=Decimal(4 * households))
    campaign_share = Share.objects.get(quota__campaign=campaign, household=household_a1)
    session = services.session_create(
        actor=leader, campaign=campaign, unit=unit_a1, on=today, starts_at=time(0, 0), ends_at=time(8, 0)
    )
    worker = household_a1.memberships.filter(until=None).order_by("person_id").first().person
    services.attendance_record(actor=leader, session=session, person=worker, hours=campaign_share.quantity)
    services.share_confirm(actor=leader, share=Share.objects.get(pk=campaign_share.pk))
    other = Share.objects.filter(quota__levy=levy).exclude(household=household_a1).order_by("pk").first()
    services.waiver_request(actor=leader, share=other, reason="홍수 피해", quantity=Decimal("1"))
    return DutyHistory(directive, levy, campaign, levy_share, campaign_share)


@pytest.fixture
def entitlement_history(cast):
    """A program over district HS-A and a cycle of it, through the services."""
    from inminban.areas.models import Area
    from inminban.entitlements import services as entitlement_services
    from inminban.entitlements.models import Program

    program = entitlement_services.program_create(
        actor=cast["officer-a"],
        office=Office.objects.get(code="HS-A-OFFICE"),
        area=Area.objects.get(code="HS-A"),
        kind=Program.Kind.GRAIN_RATION,
        rule={"resident": {}},
        norms="nine_levels",
        name_en="Grain ration",
        name_ko="식량 배급",
    )
    start = timezone.localdate().replace(day=1)
    cycle = entitlement_services.cycle_create(actor=cast["officer-a"], program=program, period_start=start)
    return program, cycle
