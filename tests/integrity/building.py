"""Builders for the integrity tests, on the small demo city (units HS-A1, HS-A2 under HS-A-OFFICE; HS-B1, HS-B2 under
HS-B-OFFICE; four households each; leader-a1 heads the second household of HS-A1, resident-a1 the first).

Duties records are written through the duties services (as a leader or an officer would), so that the scan meets
them as the system writes them; health checks and stays, whose services another app owns, are written with the ORM
in the shapes those services write (the API acceptance test goes through their endpoints)."""

from datetime import date, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from inminban.areas.models import Area, Office, Role, RoleAssignment
from inminban.duties import services as duties
from inminban.duties.models import AllocationRule, Campaign, Levy, Session, Share
from inminban.entitlements.models import Cycle, Program, ProgramVersion
from inminban.health.models import HealthCheck
from inminban.integrity.models import Flag
from inminban.integrity.scan import integrity_scan
from inminban.registry import services as registry
from inminban.registry.models import Household, Membership, Person, Stay

GUEST = "오광혁"


def user(username: str) -> User:
    return User.objects.get(username=username)


def office(code: str) -> Office:
    return Office.objects.get(code=code)


def own_household(username: str) -> Household:
    """The household of the person a leader's (or resident's) account is linked to."""
    assignment = RoleAssignment.objects.filter(
        user__username=username, role__in=[Role.LEADER, Role.RESIDENT], person__isnull=False
    ).first()
    return assignment.person.household


def households_of(unit: Area) -> list[Household]:
    return list(Household.objects.filter(unit=unit).order_by("number"))


def members_of(household: Household, on: date | None = None) -> list[Person]:
    on = on or timezone.localdate()
    return [m.person for m in Membership.objects.current_on(on).filter(household=household).select_related("person")]


def campaign_for(*units: Area, officer: str = "officer-a", office_code: str = "HS-A-OFFICE", **overrides) -> Campaign:
    """A labour campaign over the units' district with a quota of 4 person-hours per household in each unit."""
    today = timezone.localdate()
    area = units[0].parent if len({unit.parent_id for unit in units}) == 1 else units[0].parent.parent
    values = {
        "actor": user(officer),
        "office": office(office_code),
        "area": area,
        "title_ko": "강하천 정리",
        "title_en": "River cleanup",
        "measure": "person_hours",
        "rule": AllocationRule.objects.get(code="equal"),
        "place": "압록강 기슭",
        "starts_on": today - timedelta(days=20),
        "ends_on": today + timedelta(days=10),
    }
    campaign = duties.campaign_create(**(values | overrides))
    for unit in units:
        quantity = Decimal(4 * Household.objects.filter(unit=unit).count())
        duties.quota_set(actor=user(officer), obligation=campaign, unit=unit, quantity=quantity)
    return campaign


def levy_for(unit: Area, *, officer: str = "officer-a", office_code: str = "HS-A-OFFICE") -> Levy:
    today = timezone.localdate()
    levy = duties.levy_create(
        actor=user(officer),
        office=office(office_code),
        area=unit.parent,
        kind="food",
        title_ko="군량미 지원",
        title_en="Rice for the army",
        measure="kg",
        rule=AllocationRule.objects.get(code="equal"),
        place="동사무소 창고",
        starts_on=today - timedelta(days=3),
        due_on=today + timedelta(days=20),
    )
    quantity = Decimal(5 * Household.objects.filter(unit=unit).count())
    duties.quota_set(actor=user(officer), obligation=levy, unit=unit, quantity=quantity)
    return levy


def session_for(campaign: Campaign, unit: Area, *, actor: str, on: date | None = None) -> Session:
    return duties.session_create(
        actor=user(actor),
        campaign=campaign,
        unit=unit,
        on=on or timezone.localdate(),
        starts_at=time(8, 0),
        ends_at=time(12, 0),
    )


def share_of(obligation, household: Household) -> Share:
    field = "quota__campaign" if isinstance(obligation, Campaign) else "quota__levy"
    return Share.objects.get(**{field: obligation, "household": household})


def unregistered_check(household: Household, *, on: date | None = None, worker: str = "health-a") -> HealthCheck:
    """A guest seen at a health check in `household`, with no stay registered (as health/services.py records it)."""
    return HealthCheck.objects.create(
        unit=household.unit,
        household=household,
        subject=HealthCheck.Subject.UNREGISTERED_GUEST,
        guest_name=GUEST,
        checked_on=on or timezone.localdate(),
        temperature_c=Decimal("38.4"),
        symptoms=True,
        note="기침",
        recorded_by=user(worker),
        recorded_at=timezone.now(),
    )


def stay(
    household: Household,
    *,
    arrives_on: date,
    departs_on: date,
    departed_on: date | None = None,
    guest_name: str = GUEST,
    registered_at=None,
) -> Stay:
    """A registered stay, of the guest the checks above see unless told otherwise, registered now unless told."""
    now = registered_at or timezone.now()
    return Stay.objects.create(
        household=household,
        unit=household.unit,
        guest_name=guest_name,
        purpose=Stay.Purpose.FAMILY,
        arrives_on=arrives_on,
        departs_on=departs_on,
        departed_on=departed_on,
        deadline=now,
        registered_at=now,
        registered_by=user("resident-a1"),
    )


def scan(**kwargs) -> dict[str, int]:
    return integrity_scan(**kwargs)


def flags(pattern: str, **filters):
    return Flag.objects.filter(pattern=pattern, **filters)


def ration_cycle(unit, reference_date: date, created_at=None) -> Cycle:
    """A grain ration cycle of the unit's district, counting members on `reference_date` (made now unless told)."""
    admin = user("admin")
    created_at = created_at or timezone.now()
    program = Program.objects.create(
        office=office("HS-A-OFFICE"),
        area=unit.parent,
        kind=Program.Kind.GRAIN_RATION,
        name_en="Grain ration",
        name_ko="식량 배급",
        created_by=admin,
        created_at=created_at,
    )
    version = ProgramVersion.objects.create(
        program=program, number=1, norms=[], rule={}, created_by=admin, created_at=created_at
    )
    return Cycle.objects.create(
        program=program,
        version=version,
        period_start=reference_date,
        period_end=reference_date + timedelta(days=27),
        reference_date=reference_date,
        created_by=admin,
        created_at=created_at,
    )


def new_member(actor, household, on: date):
    """A person who joins the household on `on` (a new member, counted on a later reference date)."""
    return registry.person_register(
        actor=actor,
        household=household,
        family_name="김",
        given_name="새식구",
        birth_date=on - timedelta(days=365 * 30),
        sex="F",
        relation="other_relative",
        since=on,
    )
