"""Duties for the demo city: a directive half acknowledged, a finished labour campaign with every share stamped,
a running campaign, a levy with partial deliveries, a pending waiver, and the stamps that go with them.

Built through the services, so every record is in the audit log. Dates are relative to today (unlike the people,
whose dates are fixed), so that the running campaign is running whenever the demo is built. Idempotent: a second
call finds the demo directive and adds nothing."""

from datetime import time, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inminban.areas.models import Area, Office
from inminban.duties import services
from inminban.duties.models import AllocationRule, Directive, Share
from inminban.registry.models import Household, Membership

DEMO_DIRECTIVE_TITLE = "Winter fire safety: check stoves and chimneys"


def _user(cast: dict, username: str, fallback: str) -> User:
    user = cast.get(username) or User.objects.filter(username=username).first()
    return user or cast.get(fallback) or User.objects.get(username=fallback)


def _workers(household: Household, on, count: int) -> list:
    """Up to `count` members of working age on `on`, oldest first: who the household sends to a session."""
    members = Membership.objects.current_on(on).filter(household=household).select_related("person")
    adults = [m.person for m in members if 17 <= (on - m.person.birth_date).days // 365 <= 60]
    return sorted(adults, key=lambda person: person.birth_date)[:count]


@transaction.atomic
def build_demo_duties(cast: dict) -> bool:
    """Add the demo duties to the demo city unless they are there; True when something was built."""
    if Directive.objects.filter(title_en=DEMO_DIRECTIVE_TITLE).exists():
        return False
    today = timezone.localdate()
    officer = _user(cast, "officer-a", "admin")
    leader_a1 = _user(cast, "leader-a1", "officer-a")
    leader_a2 = _user(cast, "leader-a2", "officer-a")
    resident = cast.get("resident-a1") or User.objects.filter(username="resident-a1").first()
    office = Office.objects.get(code="HS-A-OFFICE")
    district = Area.objects.get(code="HS-A")
    a1, a2 = Area.objects.get(code="HS-A1"), Area.objects.get(code="HS-A2")
    a1_households = list(Household.objects.filter(unit=a1, dissolved_on__isnull=True).order_by("number"))
    equal = AllocationRule.objects.get(code="equal")
    working_age = AllocationRule.objects.get(code="working-age")

    # A directive to the whole district: half of A1 acknowledged (one by the resident online), some stamped.
    directive = services.directive_issue(
        actor=officer,
        office=office,
        area=district,
        title_ko="겨울철 화재 예방: 난로와 굴뚝 점검",
        title_en=DEMO_DIRECTIVE_TITLE,
        text_ko="추위가 오기 전에 모든 세대는 난로와 굴뚝을 점검하고, 인민반장에게 확인을 받으십시오.",
        text_en="Before the cold sets in, every household checks its stove and chimney and tells the unit leader.",
        effective_on=today - timedelta(days=3),
        due_on=today + timedelta(days=4),
        attachments=[{"title": "Fire safety leaflet", "url": "https://example.org/inminban/fire-safety.pdf"}],
    )
    resident_household = None
    if resident is not None:
        assignment = resident.role_assignments.filter(role="resident").select_related("person").first()
        resident_household = assignment.person.household if assignment else None
    if resident_household is not None:
        services.directive_acknowledge(actor=resident, directive=directive, household=resident_household)
    for household in a1_households[: max(1, len(a1_households) // 2)]:
        if household != resident_household:
            ack = services.directive_acknowledge(actor=leader_a1, directive=directive, household=household)
            services.acknowledgement_confirm(actor=leader_a1, acknowledgement=ack)
    services.directive_issue(
        actor=officer,
        office=office,
        area=district,
        title_ko="주민등록 갱신 안내",
        title_en="Notice: renewal of registration cards",
        text_en="Registration cards issued before 2016 are renewed at the district office, Mondays and Thursdays.",
        text_ko="2016년 이전에 발급된 공민증은 월요일과 목요일에 동사무소에서 갱신합니다.",
        effective_on=today,
        requires_ack=False,
    )

    # A finished campaign: street cleaning, four hours per household, everyone came, every share stamped.
    finished = services.campaign_create(
        actor=officer,
        office=office,
        area=a1,
        title_ko="거리 청소",
        title_en="Street cleaning",
        description_ko="가을비가 오기 전에 인민반 거리를 쓸고 배수구를 쳐냅니다.",
        description_en="Sweeping and clearing the drains of the unit's streets before the autumn rains.",
        measure="person_hours",
        rule=equal,
        place="혜명거리",
        starts_on=today - timedelta(days=30),
        ends_on=today - timedelta(days=20),
    )
    quota = services.quota_set(
        actor=officer, obligation=finished, unit=a1, quantity=Decimal(4 * len(a1_households)).quantize(Decimal("1"))
    )
    session = services.session_create(
        actor=leader_a1,
        campaign=finished,
        unit=a1,
        on=today - timedelta(days=25),
        starts_at=time(7, 0),
        ends_at=time(11, 0),
    )
    for share in quota.shares.select_related("household").order_by("household__number"):
        if share.quantity <= 0:
            continue
        for person in _workers(share.household, session.on, 1):
            services.attendance_record(actor=leader_a1, session=session, person=person)
        share.refresh_from_db()
        if share.fulfilled:
            services.share_confirm(actor=leader_a1, share=share)

    # A running campaign: gravel for the greenhouse, per working-age member, in both units of the district.
    running = services.campaign_create(
        actor=officer,
        office=office,
        area=district,
        title_ko="온실 건설용 자갈 모으기",
        title_en="Gravel for the greenhouse",
        description_ko="인민반마다 협동농장의 새 온실에 쓸 자갈을 강가에서 모읍니다.",
        description_en="Each unit collects gravel at the river bank for the new greenhouse of the cooperative farm.",
        measure="person_hours",
        rule=working_age,
        place="압록강 기슭",
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=10),
    )
    for unit, leader in ((a1, leader_a1), (a2, leader_a2)):
        households = Household.objects.filter(unit=unit, dissolved_on__isnull=True).count()
        services.quota_set(actor=officer, obligation=running, unit=unit, quantity=Decimal(6 * households))
        past = services.session_create(
            actor=leader,
            campaign=running,
            unit=unit,
            on=today - timedelta(days=2),
            starts_at=time(8, 0),
            ends_at=time(12, 0),
        )
        services.session_create(
            actor=leader,
            campaign=running,
            unit=unit,
            on=today + timedelta(days=2),
            starts_at=time(8, 0),
            ends_at=time(12, 0),
            place="압록강 기슭 2구역",
        )
        shares = Share.objects.filter(quota__campaign=running, quota__unit=unit, quantity__gt=0)
        for share in shares.select_related("household").order_by("household__number")[::2]:
            for person in _workers(share.household, past.on, 1):
                services.attendance_record(actor=leader, session=past, person=person)

    # A levy of food for the army: partial deliveries accumulate; one household delivered everything and is stamped.
    levy = services.levy_create(
        actor=officer,
        office=office,
        area=district,
        kind="food",
        title_ko="군량미 지원",
        title_en="Rice for the army",
        description_ko="세대마다 쌀을 바치고, 인민반장이 받아서 영수증을 떼여 줍니다.",
        description_en="Each household contributes rice; the unit leader receives it and issues a receipt.",
        measure="kg",
        rule=equal,
        place="동사무소 창고",
        starts_on=today - timedelta(days=10),
        due_on=today + timedelta(days=14),
    )
    for unit, leader in ((a1, leader_a1), (a2, leader_a2)):
        households = Household.objects.filter(unit=unit, dissolved_on__isnull=True).count()
        quota = services.quota_set(actor=officer, obligation=levy, unit=unit, quantity=Decimal(5 * households))
        for index, share in enumerate(quota.shares.filter(quantity__gt=0).order_by("household__number")):
            if index == 0:
                services.delivery_record(
                    actor=leader,
                    share=share,
                    quantity=share.quantity,
                    measure="kg",
                    delivered_on=today - timedelta(days=6),
                )
                services.share_confirm(actor=leader, share=share)
            elif index % 2 == 1:
                half = (share.quantity / 2).quantize(Decimal("0.1"))
                services.delivery_record(
                    actor=leader, share=share, quantity=half, measure="kg", delivered_on=today - timedelta(days=4)
                )
                if index % 4 == 1:
                    services.delivery_record(
                        actor=leader,
                        share=share,
                        quantity=Decimal("1"),
                        measure="kg",
                        delivered_on=today - timedelta(days=1),
                    )
            elif index == 2 and unit == a1:
                services.waiver_request(
                    actor=leader, share=share, reason="The household's harvest was lost to the flood."
                )
    return True
