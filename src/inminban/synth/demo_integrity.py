"""Stays, health checks and integrity flags for the demo city: the story the seeds tell, in unit A1.

The first household (resident-a1's) registered its guest on time; the fourth household's guest was registered (by the
leader, on its behalf) two days after he arrived, so late. On today's fever check the district's health worker found a
guest with a fever sleeping in the third household, with no stay registered for the night (in the seed, the visitor
had paid the leader to skip both the registration and the check). And the leader, head of the second household, got a
stamp for his own household's share of a duty (the gravel campaign's, or the rice levy's) without the attendance or
deliveries that fulfil it. The integrity scan then puts both before the district office.

Built through the services (every record is audited); idempotent. Dates are relative to today, like the duties'."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inminban.areas import services as area_services
from inminban.areas.models import Area, Role, RoleAssignment
from inminban.duties import services as duty_services
from inminban.duties.models import Share
from inminban.health import services as health
from inminban.health.models import HealthCheck
from inminban.integrity.scan import integrity_scan
from inminban.registry import stays
from inminban.registry.models import Household, Membership, Stay
from inminban.registry.stay_rules import stay_deadline

from .demo import CITY_CODE, REGISTRY_START, _user

DEMO_UNIT = "HS-A1"
# Guests are not registry persons: their names live only on the stay (or the check) until the stays purge. The
# households' own words (notes, addresses) are in Korean, as they would write them.
ON_TIME_GUEST = "박순희"
LATE_GUEST = "김철민"
UNREGISTERED_GUEST = "오광혁"


def demo_integrity_exists() -> bool:
    """The seed's story is told: health-a saw a guest with no registered stay in unit A1. Kept after the stays purge
    (which blanks the guest's name, not the check)."""
    return HealthCheck.objects.filter(
        unit__code=DEMO_UNIT,
        subject=HealthCheck.Subject.UNREGISTERED_GUEST,
        recorded_by__username="health-a",
    ).exists()


def ensure_health_workers() -> dict[str, User]:
    """A demo built before the health app gains its districts' health workers (health-a, health-b), as a new demo
    has them (demo.py)."""
    admin = User.objects.get(username="admin")
    workers = {}
    for district in Area.objects.filter(parent__code=CITY_CODE, level__code="district").order_by("code"):
        letter = district.code.rsplit("-", 1)[-1].lower()
        worker = _user(f"health-{letter}")
        if not RoleAssignment.objects.filter(user=worker, role=Role.HEALTH_WORKER).exists():
            area_services.role_assign(
                actor=admin, user=worker, role=Role.HEALTH_WORKER, area=district, since=REGISTRY_START
            )
        workers[worker.username] = worker
    return workers


def _members(household: Household) -> list:
    memberships = Membership.objects.filter(household=household, until__isnull=True).select_related("person")
    return [membership.person for membership in memberships.order_by("person__birth_date")]


def _head(household: Household):
    return Membership.objects.get(household=household, relation="head", until__isnull=True).person


def build_demo_integrity(cast: dict) -> bool:
    """Add the demo stays, health checks and the leader's stamp, then run the integrity scan, unless the story is
    already there; True when something was built."""
    with transaction.atomic():
        workers = ensure_health_workers()
        if demo_integrity_exists():
            return False
        _build_story(cast, workers)
    # The scan runs after the story is committed, as the scheduled job would (it commits as it goes).
    integrity_scan()
    return True


def _build_story(cast: dict, workers: dict[str, User]) -> None:
    def user(username: str) -> User:
        return cast.get(username) or User.objects.get(username=username)

    today = timezone.localdate()
    now = timezone.now()
    resident, leader, health_worker = user("resident-a1"), user("leader-a1"), workers["health-a"]
    unit = Area.objects.get(code=DEMO_UNIT)
    origin = Area.objects.filter(code=f"{CITY_CODE}-B").first()
    households = list(Household.objects.filter(unit=unit, dissolved_on__isnull=True).order_by("number"))
    own, leaders, unregistered, late_host = households[0], households[1], households[2], households[3 % len(households)]

    # (a) On time: resident-a1's household registers a cousin arriving today, before the evening's deadline (after
    # it, the cousin arrives tomorrow: a registration ahead of arrival is on time too).
    arrives_on = today if now <= stay_deadline(unit, today) else today + timedelta(days=1)
    on_time = stays.stay_register(
        actor=resident,
        household=own,
        guest_name=ON_TIME_GUEST,
        arrives_on=arrives_on,
        departs_on=arrives_on + timedelta(days=3),
        purpose=Stay.Purpose.FAMILY,
        hosts=[_head(own)],
        origin_area=origin,
        purpose_note="가을걷이가 끝나 이모네 집에 다니러 왔습니다.",
    )
    # (b) Late: a guest who arrived two days ago, registered by the leader for the fourth household only today, past
    # the deadline (22:00 on the day of arrival).
    stays.stay_register(
        actor=leader,
        household=late_host,
        guest_name=LATE_GUEST,
        arrives_on=today - timedelta(days=2),
        departs_on=today + timedelta(days=2),
        purpose=Stay.Purpose.WORK,
        hosts=[_head(late_host)],
        origin_address="량강도 김정숙군 읍",
        purpose_note="혜산방직공장 설비 수리",
    )

    # The two days before, the health worker went door to door through the whole unit: days that are over, with
    # enough checks that leaders and officers see their counts (one fever yesterday, sent to the clinic).
    for days_ago in (2, 1):
        for index, person in enumerate(person for household in households for person in _members(household)):
            fever = days_ago == 1 and index == 3
            health.healthcheck_record(
                actor=health_worker,
                household=person.household,
                checked_on=today - timedelta(days=days_ago),
                temperature_c=Decimal("38.1") if fever else Decimal("36.5") + Decimal(index % 3) / 10,
                symptoms=fever,
                person=person,
                note="진료소에 가 보라고 했습니다." if fever else "",
            )

    # (c) Today's fever check in the unit: the residents of the first and third households, the registered guest
    # (if she has arrived), and, in the third household, a guest with a fever and no stay registered for the night.
    normal = Decimal("36.6")
    for index, person in enumerate(_members(own) + _members(unregistered)):
        health.healthcheck_record(
            actor=health_worker,
            household=person.household,
            checked_on=today,
            temperature_c=normal + Decimal(index % 4) / 10,
            symptoms=False,
            person=person,
        )
    if on_time.arrives_on <= today:
        health.healthcheck_record(
            actor=health_worker,
            household=own,
            checked_on=today,
            temperature_c=Decimal("36.8"),
            symptoms=False,
            stay=on_time,
        )
    health.healthcheck_record(
        actor=health_worker,
        household=unregistered,
        checked_on=today,
        temperature_c=Decimal("38.4"),
        symptoms=True,
        guest_name=UNREGISTERED_GUEST,
        note="어제부터 기침. 진료소로 보냈습니다.",
    )

    # (d) A share of the leader's own household that its records do not fulfil (the running gravel campaign's, or,
    # where the household did go to the gravel session, the rice levy's): the leader stamps it all the same.
    due = F("quantity") - F("waived")
    share = (
        Share.objects.filter(
            household=leaders, confirmed_at__isnull=True, cancelled_at__isnull=True, quantity__gt=F("waived")
        )
        .filter(done__lt=due)
        .order_by(F("quota__campaign").asc(nulls_last=True), "pk")
        .first()
    )
    if share is not None:
        # The falsified record: the share marked as done with nothing behind it, written straight to the table the way
        # the seed's leader filled in the paper sheet (no service records attendance or deliveries that did not happen).
        Share.objects.filter(pk=share.pk).update(done=due)
        share.refresh_from_db()
        duty_services.share_confirm(actor=leader, share=share)
