"""Reads of health checks. Restricted data: the values of a check (temperature, symptom screen, note) only for the
health workers of its area, auditors (and administrators) and the person checked; leaders and officers learn that a
check was done (who, where, when, by whom) and, for an area, counts. A guest's name is for those who see values.

Counts of fevers and symptoms are values too, once there are few checks behind them: a leader who sees that two
persons of a household were checked on a day would read their temperatures off a count of one fever. For those
who do not see values, fevers and symptoms are counted only over a unit's days of at least COUNT_FLOOR checks, once
the day is over (health_area_counts)."""

from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import BooleanField, Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from inminban.areas.access import AUDIT, HEALTH, VIEW, restrict, scope_for, subtree_q
from inminban.areas.models import Area
from inminban.audit.models import AccessLogEntry
from inminban.audit.services import access_record_persons
from inminban.common.errors import NotVisible
from inminban.registry.models import Household, Membership, Person, Stay

from .models import FEVER_FROM, HealthCheck

COUNT_FLOOR = 5
Subject = HealthCheck.Subject


# Who sees what -------------------------------------------------------------------------------------------------------


def _values_q(actor) -> Q | None:
    """The checks whose values `actor` may read: HEALTH or AUDIT over the check's unit, or the resident's own
    persons. None means every check (administrators); an empty Q-set (pk in []) nothing."""
    scope = scope_for(actor)
    if scope.user_id is None:
        return Q(pk__in=[])
    if scope.is_admin:
        return None
    q = Q(pk__in=[])
    for prefix in (*scope.prefixes(HEALTH), *scope.prefixes(AUDIT)):
        q |= subtree_q("unit__path", prefix)
    if scope.person_ids:
        q |= Q(subject=Subject.RESIDENT, person_id__in=scope.person_ids)
    return q


def sees_values_in(actor, area: Area) -> bool:
    """Whether `actor` reads the values of every check in `area` (a health worker or auditor over it)."""
    scope = scope_for(actor)
    return scope.allows_area(HEALTH, area) or scope.allows_area(AUDIT, area)


def health_checks_with_values(*, actor) -> QuerySet[HealthCheck]:
    """The checks whose values `actor` may read: a health worker's or an auditor's area, a resident's own persons."""
    q = _values_q(actor)
    checks = HealthCheck.objects.select_related(
        "unit", "household__dwelling", "household__head", "person", "stay", "recorded_by"
    )
    return checks if q is None else checks.filter(q)


def health_checks_visible(*, actor) -> QuerySet[HealthCheck]:
    """Every check `actor` may know of, each annotated `shows_values`: with values (see above), or only as done
    (leaders and officers, over their area). Whoever renders a row without `shows_values` leaves the values out."""
    values = _values_q(actor)
    done = restrict(HealthCheck.objects.all(), actor, VIEW).values("pk")
    checks = HealthCheck.objects.select_related("unit", "household__dwelling", "household__head", "person", "stay")
    checks = checks.select_related("recorded_by")
    if values is None:
        return checks.annotate(shows_values=Value(True, output_field=BooleanField()))
    return checks.filter(values | Q(pk__in=done)).annotate(
        shows_values=Case(When(values, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def health_check_detail(*, actor, pk) -> HealthCheck:
    """One check as `actor` may know of it (see `shows_values`); out of reach, NotVisible (404)."""
    try:
        return health_checks_visible(actor=actor).get(pk=pk)
    except (HealthCheck.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"health check {pk} not found") from None


def values_read(*, actor, checks) -> None:
    """Note in the access log that `actor` read the values of these checks: the household of each person checked
    sees who read their health data. A guest is not a registry person (nothing to note); nor is a resident reading
    their own."""
    own = set(scope_for(actor).person_ids or ())
    persons = [
        (check.person_id, check.household_id)
        for check in checks
        if getattr(check, "shows_values", True) and check.person_id is not None and check.person_id not in own
    ]
    access_record_persons(actor=actor, persons=persons, record=AccessLogEntry.Record.HEALTH_CHECK)


def health_checks_of_household_for_resident(*, actor, household) -> QuerySet[HealthCheck]:
    """The checks, with values, of the persons the resident's account is linked to, in this household; none for
    anyone else (a household's registered or unregistered guests are not the resident's)."""
    scope = scope_for(actor)
    if scope.user_id is None or not scope.person_ids:
        return HealthCheck.objects.none()
    return HealthCheck.objects.filter(
        household=household, subject=Subject.RESIDENT, person_id__in=scope.person_ids
    ).select_related("person")


def _in_period(checks: QuerySet, since: date | None, until: date | None) -> QuerySet:
    if since is not None:
        checks = checks.filter(checked_on__gte=since)
    if until is not None:
        checks = checks.filter(checked_on__lte=until)
    return checks


def health_checks_done(*, actor, unit: Area, since: date | None = None, until: date | None = None) -> QuerySet:
    """That checks were done in `unit` (or any area: its whole subtree), for leaders and officers: who (a member by
    name, or only the kind of guest), which household, which day, recorded by whom. Rows are dicts without the
    values or a guest's name, so that no template can show them. Outside the actor's view, NotVisible."""
    if not scope_for(actor).allows_area(VIEW, unit):
        raise NotVisible(f"area {unit.code} not found")
    checks = restrict(HealthCheck.objects.all(), actor, VIEW).filter(subtree_q("unit__path", unit.path))
    return _in_period(checks, since, until).values(
        "id",
        "checked_on",
        "subject",
        "unit_id",
        "household_id",
        "person_id",
        "person__family_name",
        "person__given_name",
        "recorded_by_id",
        "recorded_at",
    )


# Counts --------------------------------------------------------------------------------------------------------------


@dataclass
class Counts:
    """Checks of one group (an area, or one of its units). `fever` and `symptoms` count the checks of `counted`
    only; they are None (`withheld`) when no check of the group is counted."""

    area: Area
    checks: int = 0
    fever: int | None = 0
    symptoms: int | None = 0
    unregistered_guests: int = 0
    counted: int = 0
    withheld: bool = False

    def add(self, row: tuple) -> None:
        """Add a row of `_cell_totals`: checks, unregistered guests, counted checks, their fevers and symptoms."""
        checks, guests, counted, fever, symptoms = (int(value or 0) for value in row)
        self.checks += checks
        self.unregistered_guests += guests
        self.counted += counted
        self.fever += fever
        self.symptoms += symptoms

    def close(self) -> None:
        if self.checks and not self.counted:
            self.fever = self.symptoms = None
            self.withheld = True

    def as_dict(self) -> dict:
        return {
            "checks": self.checks,
            "fever": self.fever,
            "symptoms": self.symptoms,
            "unregistered_guests": self.unregistered_guests,
            "counted": self.counted,
            "withheld": self.withheld,
        }


@dataclass
class AreaCounts(Counts):
    units: list[Counts] = field(default_factory=list)


def _may_count(actor, area: Area) -> bool:
    scope = scope_for(actor)
    return scope.allows_area(VIEW, area) or scope.allows_area(HEALTH, area) or scope.allows_area(AUDIT, area)


def health_counts(*, actor, area: Area, since: date, until: date) -> dict:
    """For `area` (a unit, a district, the city) and a period: how many checks, how many with a fever (from
    FEVER_FROM), with symptoms, of guests with no registered stay; in all and per unit (see health_area_counts for
    what those who do not read the values get). Outside the actor's view, NotVisible."""
    counts = health_area_counts(actor=actor, area=area, since=since, until=until)
    return counts.as_dict() | {"units": [{"unit": unit.area.code, **unit.as_dict()} for unit in counts.units]}


def health_area_counts(*, actor, area: Area, since: date, until: date) -> AreaCounts:
    """`health_counts` as objects (the pages' chart): the area's totals and its units'.

    For those who do not read the values there, fevers and symptoms are counted by day and unit, each such group on
    its own: a group of fewer than COUNT_FLOOR checks, or of today (a count that grows by one as a check comes in
    says how that check came out), is left out of every total. So no total, of any area or period, covers a group
    it leaves out, and one answer subtracted from another never gives a group's fevers."""
    if not _may_count(actor, area):
        raise NotVisible(f"area {area.code} not found")
    totals = _cell_totals(area, since, until, exact=sees_values_in(actor, area))
    units = Area.objects.filter(subtree_q("path", area.path), level__is_unit=True).order_by("path")
    total = AreaCounts(area=area)
    for unit in units:
        counts = Counts(area=unit)
        if unit.pk in totals:
            counts.add(totals[unit.pk])
            total.add(totals[unit.pk])
        counts.close()
        total.units.append(counts)
    total.close()
    return total


def _cell_totals(area: Area, since: date, until: date, *, exact: bool) -> dict[int, tuple]:
    """Per unit: checks, unregistered guests, and the checks counted with their fevers and symptoms: one statement
    that groups by unit and day first, then sums each unit's days, leaving out the days not counted."""
    checks = _in_period(HealthCheck.objects.filter(subtree_q("unit__path", area.path)), since, until)
    cells = (
        checks.values("unit_id", "checked_on")
        .annotate(
            checks=Count("id"),
            fever=Count("id", filter=Q(temperature_c__gte=FEVER_FROM)),
            symptoms=Count("id", filter=Q(symptoms=True)),
            unregistered_guests=Count("id", filter=Q(subject=Subject.UNREGISTERED_GUEST)),
        )
        .order_by()
    )
    inner, params = cells.query.sql_with_params()
    if exact:
        counted, counted_params = "1 = 1", []
    else:
        counted = "cells.checks >= %s AND cells.checked_on < %s"
        counted_params = [COUNT_FLOOR, connection.ops.adapt_datefield_value(timezone.localdate())]
    sql = (
        "SELECT cells.unit_id, SUM(cells.checks), SUM(cells.unregistered_guests), "
        f"SUM(CASE WHEN {counted} THEN cells.checks ELSE 0 END), "
        f"SUM(CASE WHEN {counted} THEN cells.fever ELSE 0 END), "
        f"SUM(CASE WHEN {counted} THEN cells.symptoms ELSE 0 END) "
        f"FROM ({inner}) cells GROUP BY cells.unit_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*counted_params * 3, *params])
        return {row[0]: row[1:] for row in cursor.fetchall()}


def home_areas(*, actor, action: str) -> list[Area]:
    """The areas an assignment gives `actor` (the widest first): a leader's unit, an officer's district."""
    scope = scope_for(actor)
    if scope.is_admin:
        return list(Area.objects.filter(parent__isnull=True).order_by("path"))
    return list(Area.objects.filter(path__in=scope.prefixes(action)).order_by("depth", "path"))


def units_under(areas: list[Area]) -> list[Area]:
    """The units anywhere under these areas."""
    if not areas:
        return []
    q = subtree_q("path", areas[0].path)
    for area in areas[1:]:
        q |= subtree_q("path", area.path)
    return list(Area.objects.filter(q, level__is_unit=True).order_by("path"))


# The health worker's form --------------------------------------------------------------------------------------------


def health_areas(*, actor) -> QuerySet[Area]:
    """The areas where `actor` records checks (HEALTH), for the health worker's choice of unit."""
    return restrict(Area.objects.select_related("level"), actor, HEALTH)


def health_units(*, actor) -> QuerySet[Area]:
    return health_areas(actor=actor).filter(level__is_unit=True).order_by("path")


def health_households(*, actor) -> QuerySet[Household]:
    """The households where `actor` records checks (HEALTH over their unit): to resolve a household named in a
    request. Nobody else's."""
    return restrict(Household.objects.select_related("unit", "dwelling", "head"), actor, HEALTH)


def health_persons(*, actor) -> QuerySet[Person]:
    return restrict(Person.objects.all(), actor, HEALTH)


def health_stays(*, actor) -> QuerySet[Stay]:
    return restrict(Stay.objects.all(), actor, HEALTH)


@dataclass
class HouseholdToCheck:
    """A household as the health worker's form shows it: where, whose, who lives there, which guests are registered
    there for the night (names and dates only)."""

    household: Household
    members: list[Person]
    guests: list[Stay]


def _registered_guests(actor, households: list[Household], day: date) -> dict[int, list[Stay]]:
    """The guests registered with each household for the night of `day`: the stays app's selector when it is there,
    else the same rule in one query."""
    try:
        from inminban.registry.stay_selectors import stays_for_health_check
    except ImportError:
        stays_for_health_check = None
    if stays_for_health_check is not None:
        return {h.pk: list(stays_for_health_check(actor=actor, household=h, day=day)) for h in households}
    from .services import stays_covering_q

    guests: dict[int, list[Stay]] = {h.pk: [] for h in households}
    rows = (
        health_stays(actor=actor)
        .filter(stays_covering_q(day), household__in=[h.pk for h in households])
        .only("pk", "household_id", "guest_name", "arrives_on", "departs_on", "departed_on")
        .order_by("arrives_on", "pk")
    )
    for stay in rows:
        guests[stay.household_id].append(stay)
    return guests


def households_to_check(
    *, actor, unit: Area, day: date | None = None, household_id: int | None = None, with_guests: bool = True
) -> list[HouseholdToCheck]:
    """The households of `unit` (or the one `household_id` of it) with their members on `day` (default today) and,
    `with_guests`, the guests registered with them for that night: for a health worker with HEALTH there;
    NotVisible for anyone else."""
    if not scope_for(actor).allows_area(HEALTH, unit):
        raise NotVisible(f"area {unit.code} not found")
    day = day or timezone.localdate()
    members = Membership.objects.current_on(day).select_related("person").order_by("since", "person_id")
    households = (
        health_households(actor=actor)
        .filter(unit=unit)
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day))
        .prefetch_related(Prefetch("memberships", queryset=members, to_attr="members_on_day"))
        .order_by("number")
    )
    if household_id is not None:
        households = households.filter(pk=household_id)
    households = list(households)
    guests = _registered_guests(actor, households, day) if with_guests else {}
    return [
        HouseholdToCheck(
            household=household,
            members=[membership.person for membership in household.members_on_day],
            guests=guests.get(household.pk, []),
        )
        for household in households
    ]


def households_named(*, actor, ids) -> dict[int, Household]:
    """The households (with head and dwelling, to name them on a page) among `ids` that `actor` sees."""
    rows = restrict(Household.objects.select_related("dwelling", "head"), actor, VIEW).filter(pk__in=list(ids))
    return {household.pk: household for household in rows}
