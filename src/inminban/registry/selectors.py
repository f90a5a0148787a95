"""Reads of the registry. Every function takes the actor and returns only what the actor may see."""

from datetime import date

from django.db.models import Count, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from inminban.areas.access import VIEW, get_visible, restrict, subtree_q
from inminban.areas.models import Area
from inminban.areas.selectors import areas_visible
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
        return households.filter(subtree_q("unit__path", area.path))
    residences = Residence.objects.current_on(on).filter(subtree_q("unit__path", area.path))
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


def occupations_visible(*, actor) -> QuerySet[Occupation]:
    return restrict(Occupation.objects.select_related("person__household__unit"), actor, VIEW)


def occupations_of(*, actor, person: Person) -> QuerySet[Occupation]:
    return occupations_visible(actor=actor).filter(person=person)


def incomes_visible(*, actor) -> QuerySet[DeclaredIncome]:
    return restrict(DeclaredIncome.objects.select_related("person__household__unit"), actor, VIEW)


def incomes_of(*, actor, person: Person) -> QuerySet[DeclaredIncome]:
    return incomes_visible(actor=actor).filter(person=person)


def moves_visible(*, actor) -> QuerySet[Move]:
    return restrict(
        Move.objects.select_related("household", "person", "from_unit", "to_unit", "from_dwelling", "to_dwelling"),
        actor,
        VIEW,
    )


# Filtered lists (API and exports): an area's whole subtree, and the registry as it was on a date -------------------


def _residences_on(on: date, area: Area | None):
    residences = Residence.objects.current_on(on)
    return residences.filter(subtree_q("unit__path", area.path)) if area is not None else residences


def dwelling_list(*, actor, area: Area | None = None, on: date | None = None) -> QuerySet[Dwelling]:
    """Dwellings under `area`; with `on`, only those a household lived in that day (dwellings carry no dates)."""
    dwellings = dwellings_visible(actor=actor)
    if area is not None:
        dwellings = dwellings.filter(subtree_q("unit__path", area.path))
    if on is not None:
        dwellings = dwellings.filter(pk__in=_residences_on(on, None).values("dwelling_id"))
    return dwellings


def household_list(*, actor, area: Area | None = None, on: date | None = None) -> QuerySet[Household]:
    """Households under `area` now, or with `on`, the households that lived there that day."""
    households = households_visible(actor=actor)
    if on is not None:
        return households.filter(pk__in=_residences_on(on, area).values("household_id"))
    return households.filter(subtree_q("unit__path", area.path)) if area is not None else households


def person_list(*, actor, area: Area | None = None, on: date | None = None) -> QuerySet[Person]:
    """Persons whose household is under `area` now, or with `on`, who were members of a household living there
    that day."""
    persons = persons_visible(actor=actor)
    if on is not None:
        members = Membership.objects.current_on(on)
        if area is not None:
            members = members.filter(household__in=_residences_on(on, area).values("household_id"))
        return persons.filter(pk__in=members.values("person_id"))
    return persons.filter(subtree_q("household__unit__path", area.path)) if area is not None else persons


def membership_list(*, actor, area: Area | None = None, on: date | None = None) -> QuerySet[Membership]:
    """Memberships of households under `area`; with `on`, those current that day in households living there."""
    memberships = memberships_visible(actor=actor)
    if on is not None:
        memberships = memberships.current_on(on)
        if area is not None:
            memberships = memberships.filter(household__in=_residences_on(on, area).values("household_id"))
        return memberships
    return memberships.filter(subtree_q("household__unit__path", area.path)) if area is not None else memberships


def move_list(*, actor, area: Area | None = None, on: date | None = None) -> QuerySet[Move]:
    """Moves out of or into `area`; with `on`, those made on or before that day."""
    moves = moves_visible(actor=actor)
    if area is not None:
        moves = moves.filter(subtree_q("from_unit__path", area.path) | subtree_q("to_unit__path", area.path))
    return moves.filter(on__lte=on) if on is not None else moves


# Pages and statistics -------------------------------------------------------------------------------------------


def unit_roster(*, actor, unit: Area, on: date | None = None) -> QuerySet[Household]:
    """`households_in_unit` plus each member's job that day: the leader's unit page in a fixed number of queries."""
    jobs = Occupation.objects.current_on(on or timezone.localdate()).order_by("-since")
    return households_in_unit(actor=actor, unit=unit, on=on).prefetch_related(
        Prefetch("members_on_date__person__occupations", queryset=jobs, to_attr="jobs_on_date")
    )


def _subquery_count(queryset: QuerySet):
    """COUNT(*) of a correlated subquery, as an annotation that needs no GROUP BY on the outer query."""
    counted = queryset.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(counted), 0)


def area_child_counts(*, actor, area: Area) -> QuerySet[Area]:
    """The areas directly under `area` (a district's units), each with its households and current members.

    The counted rows lie inside the child's subtree, which the actor sees whenever they see the child."""
    today = timezone.localdate()
    households = Household.objects.filter(unit__path__startswith=OuterRef("path"), dissolved_on__isnull=True)
    members = Membership.objects.current_on(today).filter(household__unit__path__startswith=OuterRef("path"))
    return (
        areas_visible(actor=actor, within=area)
        .filter(parent=area)
        .annotate(household_count=_subquery_count(households), person_count=_subquery_count(members))
        .order_by("code")
    )


def area_totals(*, actor, area: Area) -> dict[str, int]:
    """How many households and current members live anywhere under `area`."""
    members = restrict(Membership.objects, actor, VIEW).current_on(timezone.localdate())
    return {
        "households": households_in_area(actor=actor, area=area).filter(dissolved_on__isnull=True).count(),
        "persons": members.filter(subtree_q("household__unit__path", area.path)).count(),
    }


def household_size_counts(*, actor, area: Area) -> dict[int, int]:
    """Number of households under `area` by their current number of members: {size: households}."""
    members = Membership.objects.current_on(timezone.localdate()).filter(household=OuterRef("pk"))
    rows = (
        households_in_area(actor=actor, area=area)
        .filter(dissolved_on__isnull=True)
        .annotate(size=_subquery_count(members))
        .order_by()
        .values("size")
        .annotate(households=Count("pk"))
        .values_list("size", "households")
    )
    return dict(rows)


# (from age, to age inclusive or None for "and older")
AGE_GROUPS: tuple[tuple[int, int | None], ...] = ((0, 6), (7, 16), (17, 29), (30, 44), (45, 59), (60, None))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_group_counts(*, actor, area: Area, groups=AGE_GROUPS) -> list[tuple[int, int | None, int]]:
    """Current members of households under `area` by age group: [(from age, to age, persons)], one query."""
    today = timezone.localdate()
    members = (
        restrict(Membership.objects, actor, VIEW)
        .current_on(today)
        .filter(subtree_q("household__unit__path", area.path))
    )
    counts = {}
    for index, (low, high) in enumerate(groups):
        in_group = Q(person__birth_date__lte=_years_before(today, low))
        if high is not None:
            in_group &= Q(person__birth_date__gt=_years_before(today, high + 1))
        counts[f"group_{index}"] = Count("pk", filter=in_group)
    result = members.aggregate(**counts)
    return [(low, high, result[f"group_{index}"]) for index, (low, high) in enumerate(groups)]
