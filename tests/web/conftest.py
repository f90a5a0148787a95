import pytest

from inminban.audit.models import AuditEntry
from inminban.registry.models import Household, Person


@pytest.fixture
def household_a1(unit_a1) -> Household:
    """The first household of unit HS-A1: resident-a1's own."""
    return Household.objects.filter(unit=unit_a1).order_by("number").first()


@pytest.fixture
def other_household_a1(unit_a1) -> Household:
    return Household.objects.filter(unit=unit_a1).order_by("number")[1]


@pytest.fixture
def household_b1(unit_b1) -> Household:
    return Household.objects.filter(unit=unit_b1).order_by("number").first()


@pytest.fixture
def person_a1(household_a1) -> Person:
    """A member of household_a1 who is not its head."""
    return Person.objects.filter(household=household_a1).exclude(pk=household_a1.head_id).order_by("pk").first()


@pytest.fixture
def worker_a1(unit_a1) -> Person:
    """A person in unit HS-A1 with a current job."""
    return Person.objects.filter(household__unit=unit_a1, occupations__until__isnull=True).order_by("pk").first()


@pytest.fixture
def person_b1(household_b1) -> Person:
    return Person.objects.filter(household=household_b1).order_by("pk").first()


@pytest.fixture
def audit_count():
    return lambda: AuditEntry.objects.count()
