"""Distribution, clearances and appeals for the demo city.

District A's office opens a distribution counter serving the whole district, with its clerk (`clerk-a`), who has
already handed out a few of this month's rations (one of them in part). A school clerk (`school-a`) serves the
district's school catchment area: a school enrolment clearance program asks for the street-cleaning stamp, one child
was cleared and one denied. A household of unit A1 denied this month's ration appealed through its leader, and the
appeal waits for the office's decision. Built through the services (every record is audited); idempotent."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from inminban.areas import services as area_services
from inminban.areas.models import Area, Office, Role, RoleAssignment
from inminban.duties.models import Campaign
from inminban.entitlements import services
from inminban.entitlements.models import Counter, Cycle, Entitlement, Program
from inminban.registry.models import Person
from inminban.stamps.services import stamp_encoded

from .demo import REGISTRY_START, _user
from .demo_entitlements import DEMO_RATION_NAME

DEMO_COUNTER = "HS-A-C1"
DEMO_SCHOOL_PROGRAM = "School enrolment clearance"


def _named(user: User, name: str) -> User:
    """A name for pages and receipts (a clerk has no person in the registry): the whole name, family name first."""
    user.first_name = name
    user.save(update_fields=["first_name"])
    return user


def _ration_cycle() -> Cycle | None:
    return Cycle.objects.filter(program__name_en=DEMO_RATION_NAME).order_by("-period_start").first()


def _hand_out_some(clerk: User, counter: Counter, cycle: Cycle, keep: set[int]) -> None:
    """The clerk hands out three vouchers of the district in full and one in part (none of the households in `keep`,
    whose vouchers the demo's resident and leader still hold)."""
    from inminban.entitlements.redemptions import redemption_record

    entitled = (
        Entitlement.objects.filter(cycle=cycle, eligible=True, voucher__isnull=False)
        .exclude(household_id__in=keep)
        .select_related("voucher")
        .order_by("unit__code", "household__number")
    )
    for index, entitlement in enumerate(entitled[:4]):
        text = stamp_encoded(entitlement.voucher)
        quantity = entitlement.quantity // 2 if index == 3 else None
        redemption_record(actor=clerk, counter=counter, text=text, quantity=quantity)


def _school_child(cycle: Cycle, *, entitled: bool) -> Person | None:
    """The youngest school-age member (6 to 17) of a district A household that this month's ration cycle entitled, or
    denied: a denied household lacks a stamp the clearance asks for too."""
    today = timezone.localdate()
    households = Entitlement.objects.filter(cycle=cycle, eligible=entitled).values("household_id")
    return (
        Person.objects.filter(
            household_id__in=households,
            birth_date__lte=today - timedelta(days=6 * 365),
            birth_date__gt=today - timedelta(days=18 * 365),
            status="resident",
        )
        .order_by("-birth_date", "pk")
        .first()
    )


@transaction.atomic
def build_demo_distribution(cast: dict) -> bool:
    """Add the demo counter, clerks, clearances and appeal unless they are there; True when something was built."""
    if Counter.objects.filter(code=DEMO_COUNTER).exists():
        return False
    cycle = _ration_cycle()
    officer = cast.get("officer-a") or User.objects.filter(username="officer-a").first()
    leader = cast.get("leader-a1") or User.objects.filter(username="leader-a1").first()
    if cycle is None or officer is None or leader is None:
        return False  # the demo entitlements are not there: nothing to distribute
    from inminban.entitlements.counters import counter_clerk_assign, counter_create

    office = Office.objects.get(code="HS-A-OFFICE")
    district = Area.objects.get(code="HS-A")
    counter = counter_create(
        actor=officer,
        office=office,
        area=district,
        code=DEMO_COUNTER,
        name_ko="성후동 식량공급소",
        name_en="Songhu-dong food distribution centre",
        address="성후동 중심거리 12",
        opening_hours="월–토 08:00–13:00",
    )
    clerk = _named(_user("clerk-a"), "김순희")
    counter_clerk_assign(actor=officer, user=clerk, counter=counter, since=REGISTRY_START)
    keep = {
        assignment.person.household_id
        for assignment in RoleAssignment.objects.filter(
            user__username__in=("resident-a1", "leader-a1"), person__isnull=False
        ).select_related("person")
    }
    _hand_out_some(clerk, counter, cycle, keep)

    school = _named(_user("school-a"), "박영철")
    area_services.role_assign(actor=officer, user=school, role=Role.SCHOOL_CLERK, area=district, since=REGISTRY_START)
    _demo_clearances(officer, school, office, district, cycle)
    _demo_appeal(leader, cycle)
    return True


def _demo_clearances(officer: User, school: User, office: Office, district: Area, cycle: Cycle) -> None:
    """A school enrolment clearance program asking for the same stamps as the ration; one child cleared, one not."""
    from inminban.entitlements.clearances import clearance_request

    street = Campaign.objects.filter(title_en="Street cleaning").first()
    gravel = Campaign.objects.filter(title_en="Gravel for the greenhouse").first()
    if street is None or gravel is None:
        return
    program = services.program_create(
        actor=officer,
        office=office,
        area=district,
        kind=Program.Kind.SCHOOL_CLEARANCE,
        cadence=Program.Cadence.ONCE,
        name_ko="학교 입학 확인",
        name_en=DEMO_SCHOOL_PROGRAM,
        rule={"all": [{"resident": {}}, {"stamp": street.ref}, {"stamp": gravel.ref}]},
    )
    on = timezone.localdate()
    for entitled in (True, False):
        child = _school_child(cycle, entitled=entitled)
        if child is not None:
            clearance_request(actor=school, program=program, person=child, on=on)


def _demo_appeal(leader: User, cycle: Cycle) -> None:
    from inminban.entitlements.appeals import appeal_file

    denied = (
        Entitlement.objects.filter(cycle=cycle, eligible=False, unit__code="HS-A1")
        .order_by("household__number")
        .first()
    )
    if denied is not None:
        appeal_file(
            actor=leader,
            entitlement=denied,
            reason=(
                "이 세대의 자갈 몫은 세대주가 병원에 입원해 있던 기간에 배정되었습니다. 퇴원 후 다음 작업일에 "
                "나와 몫을 채우겠다고 약속했습니다."
            ),
        )
