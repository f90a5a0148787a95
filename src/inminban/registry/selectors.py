"""Reads of the registry. Every function takes the actor and returns only what the actor may see."""

from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from inminban.areas.access import VIEW, get_visible, restrict
from inminban.areas.models import Area
from inminban.audit.services import access_record

from .models import DeclaredIncome, Dwelling, Household, Membership, Move, Occupation, Person, Residence


def dwellings_visible(*, actor, unit: Area | None = None) -> QuerySet[Dwelling]:
    dwellings = restrict(Dwelling.objects.select_related("unit"), actor, VIEW)
    return dwellings.filter(unit=unit) if unit is not None else dwellings


def households_visible(*, actor) -> QuerySet[Household]:
    return restrict(Household.objects.select_related("unit", "dwelling", "head"), actor, VIEW)


def households_in_unit(*, actor, unit: Area, on: date | None = None) -> QuerySet[Household]:
    """The households registered in `unit` on a date (default: now), with their members that day."""
    households = households_visible(actor=actor)
    if on is None:
        households = households.filter(unit=unit)
        on = timezone.localdate()
    else:
        households = households.filter(pk__in=Residence.objects.current_on(on).filter(unit=unit).values("household_id"))
    members = Membership.objects.current_on(on).select_related("person").order_by("since", "person_id")
    return households.prefetch_related(Prefetch("memberships", queryset=members, to_attr="members_on_date"))


def households_in_area(*, actor, area: Area, on: date | None = None) -> QuerySet[Household]:
    """Households anywhere under `area` (a district, a city) on a date (default: now)."""
    households = households_visible(actor=actor)
    if on is None:
        return households.filter(unit__path__startswith=area.path)
    residences = Residence.objects.current_on(on).filter(unit__path__startswith=area.path)
    return households.filter(pk__in=residences.values("household_id"))


def household_members(*, actor, household: Household, on: date | None = None) -> QuerySet[Membership]:
    """Who lived in this household on a date (default: today)."""
    memberships = restrict(Membership.objects.select_related("person"), actor, VIEW)
    return memberships.filter(household=household).current_on(on or timezone.localdate()).order_by("since", "id")


def household_history(*, actor, household: Household) -> dict:
    """Everything that happened to a household: residences, memberships, moves."""
    return {
        "residences": restrict(Residence.objects.select_related("unit", "dwelling"), actor, VIEW)
        .filter(household=household)
        .order_by("-since"),
        "memberships": restrict(Membership.objects.select_related("person"), actor, VIEW)
        .filter(household=household)
        .order_by("-since", "id"),
        "moves": moves_visible(actor=actor).filter(household=household),
    }


def household_detail(*, actor, household_id) -> Household:
    """One household, noting the read in the access log."""
    household = get_visible(actor, households_visible(actor=actor), household_id)
    access_record(actor=actor, household=household)
    return household


def persons_visible(*, actor) -> QuerySet[Person]:
    return restrict(Person.objects.select_related("household__unit"), actor, VIEW)


def person_detail(*, actor, person_id) -> Person:
    """One person, noting the read in the access log."""
    person = get_visible(actor, persons_visible(actor=actor), person_id)
    access_record(actor=actor, person=person)
    return person


def memberships_visible(*, actor) -> QuerySet[Membership]:
    return restrict(Membership.objects.select_related("person", "household"), actor, VIEW)


def occupations_of(*, actor, person: Person) -> QuerySet[Occupation]:
    return restrict(Occupation.objects.all(), actor, VIEW).filter(person=person)


def incomes_of(*, actor, person: Person) -> QuerySet[DeclaredIncome]:
    return restrict(DeclaredIncome.objects.all(), actor, VIEW).filter(person=person)


def moves_visible(*, actor) -> QuerySet[Move]:
    return restrict(
        Move.objects.select_related("household", "person", "from_unit", "to_unit", "from_dwelling", "to_dwelling"),
        actor,
        VIEW,
    )
