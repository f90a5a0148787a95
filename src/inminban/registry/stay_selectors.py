"""Reads of overnight stays, always scoped to the actor (services in stays.py).

Who sees a stay, with the guest's details: the host household's residents, the leader of its unit, the officers and
auditors over it, administrators. A health worker sees only a household's registered guests for the night of a
check (`stays_for_health_check`: name and dates). A purged stay shows no guest details to anyone.

A night `d` is covered by a stay when `arrives_on <= d <= COALESCE(departed_on, departs_on)`. A stay is overstayed
when no departure is recorded and the expected departure has passed (computed, no job)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_noop

from inminban.areas.access import CHANGE, HEALTH, VIEW, restrict, scope_for, subtree_q
from inminban.areas.models import Area, Office
from inminban.areas.selectors import areas_visible, offices_visible
from inminban.audit.services import access_record
from inminban.common.errors import DomainError, NotVisible

from .models import Household, Membership, Person, Stay
from .stay_rules import StayRule, stay_rules_for, stay_rules_of_office


def _today() -> date:
    return timezone.localdate()


def overstayed_q(today: date | None = None) -> Q:
    return Q(departed_on__isnull=True, departs_on__lt=today or _today())


def covering_q(day: date) -> Q:
    """Stays whose nights include `day`."""
    return Q(arrives_on__lte=day) & (Q(departed_on__gte=day) | Q(departed_on__isnull=True, departs_on__gte=day))


def with_status(stays: QuerySet[Stay], today: date | None = None) -> QuerySet[Stay]:
    """`overstayed` and `ends_on` (the actual departure, else the expected one) on each stay."""
    return stays.annotate(
        overstayed=Case(When(overstayed_q(today), then=Value(True)), default=Value(False), output_field=BooleanField()),
        ends_on=Coalesce("departed_on", "departs_on"),
    )


def stays_visible(*, actor) -> QuerySet[Stay]:
    """Every stay the actor may read: their own household's (residents), their unit's (leaders), their area's
    (officers, auditors), all (administrators); newest arrival first."""
    stays = Stay.objects.select_related("household__head", "unit", "origin_area").prefetch_related("hosts")
    return with_status(restrict(stays, actor, VIEW))


def stay_visible(*, actor, pk) -> Stay:
    """One stay the actor may read (NotVisible, a 404, otherwise)."""
    try:
        return stays_visible(actor=actor).get(pk=pk)
    except (Stay.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"stay {pk} not found") from None


def stay_detail(*, actor, pk) -> Stay:
    """One stay, noting the read in the household's access log for anyone but its own residents (an official
    reading a household's guest is reading the household's records)."""
    stay = stay_visible(actor=actor, pk=pk)
    if stay.household_id not in scope_for(actor).household_ids:
        access_record(actor=actor, household=stay.household)
    return stay


def stays_of_household(*, actor, household: Household) -> QuerySet[Stay]:
    return stays_visible(actor=actor).filter(household=household)


def stays_in_unit_on(*, actor, unit: Area, day: date) -> QuerySet[Stay]:
    """The guests sleeping in `unit` on the night of `day`: the leader's day view."""
    return stays_visible(actor=actor).filter(unit=unit).filter(covering_q(day)).order_by("household__number", "id")


def stays_overstayed_in_unit(*, actor, unit: Area, today: date | None = None) -> QuerySet[Stay]:
    """The unit's stays past their expected departure with no departure recorded, oldest first: still to settle."""
    return stays_visible(actor=actor).filter(unit=unit).filter(overstayed_q(today)).order_by("departs_on", "id")


def guest_details_visible(actor, stay: Stay) -> bool:
    """Whether the actor reads the guest's details of this stay: its household's residents, and whoever reads the
    unit (its leader, the officers and auditors over it, administrators); nobody once the stay is purged."""
    if stay.purged_at is not None:
        return False
    scope = scope_for(actor)
    return stay.household_id in scope.household_ids or scope.allows_area(VIEW, stay.unit)


PERIOD_DAYS = 30  # an office counts the stays that arrived in the last 30 days, unless asked otherwise
PERIOD_MAX_DAYS = 366


def counting_period(since: date | None, until: date | None) -> tuple[date, date]:
    """The days of arrival an office's counts cover: by default the last PERIOD_DAYS up to today; at most a year."""
    until = until or timezone.localdate()
    if since is None:
        if until < date.min + timedelta(days=PERIOD_DAYS):
            raise DomainError("until", gettext_noop("The period would start before the calendar does."))
        since = until - timedelta(days=PERIOD_DAYS - 1)
    if since > until:
        raise DomainError("since", gettext_noop("The first day must not be after the last."))
    if (until - since).days >= PERIOD_MAX_DAYS:
        raise DomainError("since", gettext_noop("At most a year at a time."))
    return since, until


def may_change_stay(actor, stay: Stay) -> bool:
    scope = scope_for(actor)
    return stay.purged_at is None and (stay.household_id in scope.household_ids or scope.allows_area(CHANGE, stay.unit))


def is_own_household(actor, household_id: int) -> bool:
    """Whether the actor lives in, or registers as a resident of, this household: a household does not confirm its
    own registrations, so a leader's own guests are confirmed by an officer."""
    scope = scope_for(actor)
    return household_id in scope.household_ids or household_id in scope.home_household_ids


def may_confirm_stay(actor, stay: Stay) -> bool:
    if is_own_household(actor, stay.household_id):
        return False
    return stay.purged_at is None and stay.confirmed_at is None and scope_for(actor).allows_area(CHANGE, stay.unit)


# Where a stay is registered --------------------------------------------------------------------------------------


def households_for_stays(*, actor) -> QuerySet[Household]:
    """The households the actor may register a guest for: a resident's own, the households of the units a leader or
    an officer changes."""
    scope = scope_for(actor)
    own = Q(pk__in=scope.household_ids)
    households = Household.objects.filter(dissolved_on__isnull=True).select_related("unit", "head", "dwelling")
    changeable = restrict(Household.objects.all(), actor, CHANGE).values("pk")
    return households.filter(own | Q(pk__in=changeable))


def units_for_stays(*, actor) -> QuerySet[Area]:
    """Units where the actor registers and confirms guests on households' behalf (a leader's, an officer's)."""
    return restrict(Area.objects.filter(level__is_unit=True), actor, CHANGE).order_by("path")


def host_choices(*, household: Household, on: date | None = None) -> QuerySet[Membership]:
    """The household's current members, who may host a guest (for a household the caller already resolved through
    `households_for_stays` or `stays_visible`)."""
    return (
        Membership.objects.current_on(on or _today())
        .filter(household=household)
        .select_related("person")
        .order_by("since", "person_id")
    )


def hosts_by_id(*, household: Household, ids: list[int], field: str = "hosts") -> list[Person]:
    """The hosts a request names, among the household's current members; any other id is a 422 naming `field`."""
    members = {membership.person_id: membership.person for membership in host_choices(household=household)}
    missing = [pk for pk in ids if pk not in members]
    if missing:
        raise DomainError(field, "The hosts are members of the household.")
    return [members[pk] for pk in dict.fromkeys(ids)]


def origin_area_by_code(code: str) -> Area:
    """The area a guest comes from, anywhere in the country: the area tree's codes and names are not secret, and a
    guest comes from outside the host's scope by definition."""
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise DomainError("origin_area", f"There is no area {code!r}.")
    return area


def origin_choices() -> QuerySet[Area]:
    """The towns and cities a guest may come from, for the page's list (codes never shown)."""
    return Area.objects.filter(level__code="city").select_related("parent").order_by("parent__path", "name_ko")


# The office's view -------------------------------------------------------------------------------------------------


@dataclass
class UnitCounts:
    unit: Area
    registered: int = 0
    late: int = 0
    overstayed: int = 0
    unconfirmed: int = 0


def stay_counts_by_unit(*, actor, area: Area, since: date, until: date) -> list[UnitCounts]:
    """For each unit under `area` the actor may read: the stays arriving from `since` to `until` (inclusive), how
    many were registered late, how many are overstayed today, how many the leader has not confirmed. One grouped
    query over the stays and one over the units."""
    if not scope_for(actor).allows_area(VIEW, area):
        raise NotVisible(f"area {area.code} not found")
    today = _today()
    rows = (
        restrict(Stay.objects.all(), actor, VIEW)
        .filter(subtree_q("unit__path", area.path), arrives_on__gte=since, arrives_on__lte=until)
        .order_by()
        .values("unit_id")
        .annotate(
            registered=Count("pk"),
            late=Count("pk", filter=Q(late=True)),
            overstayed=Count("pk", filter=overstayed_q(today)),
            unconfirmed=Count("pk", filter=Q(confirmed_at__isnull=True)),
        )
    )
    counts = {row.pop("unit_id"): row for row in rows}
    units = areas_visible(actor=actor, within=area).filter(level__is_unit=True).order_by("path")
    return [UnitCounts(unit=unit, **counts.get(unit.pk, {})) for unit in units]


def stays_needing_attention(*, actor, area: Area, since: date, until: date) -> QuerySet[Stay]:
    """The late or overstayed stays under `area` arriving from `since` to `until`, for the office's list."""
    return (
        stays_visible(actor=actor)
        .filter(subtree_q("unit__path", area.path), arrives_on__gte=since, arrives_on__lte=until)
        .filter(Q(late=True) | overstayed_q())
        .order_by("unit__path", "-arrives_on", "-id")
    )


def office_stay_rules(*, actor, code: str) -> tuple[Office, StayRule]:
    office = offices_visible(actor=actor).filter(code=code).first()
    if office is None:
        raise NotVisible(f"office {code} not found")
    return office, stay_rules_of_office(office)


def unit_stay_rule(unit: Area) -> StayRule:
    """The deadline households of a unit register by (the pages say it in words)."""
    return stay_rules_for(unit)


# For health workers ------------------------------------------------------------------------------------------------


def stays_for_health_check(*, actor, household: Household, day: date) -> QuerySet[Stay]:
    """The registered guests of `household` on the night of `day`, for a health worker with HEALTH on its unit (or an
    administrator): only what a check needs, the guest's name and the dates. Anyone else gets none."""
    if not scope_for(actor).allows_area(HEALTH, household.unit):
        return Stay.objects.none()
    return (
        Stay.objects.filter(household=household, purged_at__isnull=True)
        .filter(covering_q(day))
        .only("id", "household_id", "unit_id", "guest_name", "arrives_on", "departs_on", "departed_on")
        .order_by("arrives_on", "id")
    )
