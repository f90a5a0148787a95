"""What the clearance and appeal tests share: clerks of both districts, a recruiter, a school clearance program gated
on the street-cleaning stamp (held by resident-a1's household only), a child of school age in two households of
unit A1, and a snapshot of every row a refused request must leave alone."""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from inminban.areas import services as area_services
from inminban.areas.models import Area, Role
from inminban.audit.models import AuditEntry
from inminban.duties import services as duty_services
from inminban.duties.models import Session, Share
from inminban.entitlements import services
from inminban.entitlements.models import Appeal, Clearance, Cycle, CycleTally, Entitlement, Program
from inminban.registry.models import Household, Membership, Person
from inminban.stamps.models import Stamp


def clr_state() -> dict:
    """Everything clearances and appeals write, and the audit log's length."""
    return {
        "clearances": list(Clearance.objects.order_by("pk").values_list("pk", "granted", "stamp_id", "appeal_id")),
        "appeals": list(Appeal.objects.order_by("pk").values_list("pk", "status", "decision", "attachment")),
        "entitlements": list(
            Entitlement.objects.order_by("pk").values_list("pk", "eligible", "quantity", "voucher_id", "appeal_id")
        ),
        "cycles": list(Cycle.objects.order_by("pk").values_list("pk", "entitled", "denied", "total_quantity")),
        "tallies": list(CycleTally.objects.order_by("pk").values_list("pk", "households", "quantity")),
        "stamps": Stamp.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def unchanged(db):
    """`with unchanged(): ...` asserts that no clearance, appeal, entitlement, stamp or audit entry changed."""

    @contextmanager
    def check():
        before = clr_state()
        yield
        assert clr_state() == before, "a refused request wrote something"

    return check


def _user(admin, name: str, role: str, area_code: str) -> User:
    user = User.objects.create_user(name, password="x")
    area_services.role_assign(actor=admin, user=user, role=role, area=Area.objects.get(code=area_code))
    return user


@pytest.fixture
def clerks(cast) -> dict[str, User]:
    """School clerks of districts A and B, a recruiter of district A."""
    admin = cast["admin"]
    return {
        "school-a": _user(admin, "t-school-a", Role.SCHOOL_CLERK, "HS-A"),
        "school-b": _user(admin, "t-school-b", Role.SCHOOL_CLERK, "HS-B"),
        "recruiter-a": _user(admin, "t-recruiter-a", Role.RECRUITER, "HS-A"),
    }


@pytest.fixture
def school(cast, office_a, street, unit_a1) -> Program:
    """District A's school enrolment clearance: residence and the street-cleaning stamp."""
    return services.program_create(
        actor=cast["officer-a"],
        office=office_a,
        area=unit_a1.parent,
        kind=Program.Kind.SCHOOL_CLEARANCE,
        name_ko="소학교 입학 확인",
        name_en="School enrolment",
        rule={"all": [{"resident": {}}, {"stamp": street.ref}]},
    )


def child_in(household: Household, *, age_days: int = 6 * 365 + 100, name: str = "아이") -> Person:
    born = timezone.localdate() - timedelta(days=age_days)
    person = Person.objects.create(
        family_name="김", given_name=name, birth_date=born, sex="F", household=household, status="resident"
    )
    Membership.objects.create(household=household, person=person, relation="child", since=born)
    return person


@pytest.fixture
def own_household(cast) -> Household:
    """resident-a1's household: it holds the street-cleaning stamp."""
    return cast["resident-a1"].role_assignments.get(role="resident").person.household


@pytest.fixture
def other_household(own_household) -> Household:
    """Another household of unit A1, without the stamp."""
    return Household.objects.filter(unit=own_household.unit).exclude(pk=own_household.pk).order_by("number").first()


def earn_street_stamp(cast, campaign, household: Household) -> Stamp:
    """The household works at the street cleaning and the leader confirms its share: its stamp is issued."""
    session = Session.objects.filter(campaign=campaign).first()
    head = Membership.objects.filter(household=household, until__isnull=True).order_by("pk").first().person
    duty_services.attendance_record(actor=cast["leader-a1"], session=session, person=head)
    share = Share.objects.get(quota__campaign=campaign, household=household)
    return duty_services.share_confirm(actor=cast["leader-a1"], share=share)


def later(days: int = 20) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def resident_of(cast, household: Household, name: str) -> User:
    """A resident account for the head of `household`."""
    user = User.objects.create_user(name, password="x")
    person = Membership.objects.filter(household=household, until__isnull=True).order_by("pk").first().person
    area_services.role_assign(actor=cast["admin"], user=user, role=Role.RESIDENT, person=person, since=date(2015, 1, 1))
    return user
