"""Reads of the area tree, always restricted to the actor."""

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from .access import VIEW, restrict, scope_for, subtree_q
from .models import Area, AreaLevel, Office, Role, RoleAssignment


def areas_visible(*, actor, within: Area | None = None, level: str | None = None) -> QuerySet[Area]:
    areas = restrict(Area.objects.select_related("level", "parent"), actor, VIEW)
    if within is not None:
        areas = areas.filter(subtree_q("path", within.path))
    if level:
        areas = areas.filter(level__code=level)
    return areas


def area_levels() -> QuerySet[AreaLevel]:
    """The tiers of the area tree; not secret, the same for everyone."""
    return AreaLevel.objects.all()


def units_visible(*, actor, within: Area | None = None) -> QuerySet[Area]:
    return areas_visible(actor=actor, within=within).filter(level__is_unit=True)


def offices_visible(*, actor) -> QuerySet[Office]:
    return restrict(Office.objects.select_related("area"), actor, VIEW)


def home_area(*, actor) -> Area | None:
    """The area an actor's work starts from: a leader's unit, an officer's office area, a resident's unit."""
    scope = scope_for(actor)
    assignment = (
        RoleAssignment.objects.filter(user=actor, since__lte=timezone.localdate())
        .exclude(until__lte=timezone.localdate())
        .select_related("area", "person__household__unit")
        .order_by("role")
        .first()
    )
    if assignment is None:
        return None
    if assignment.role == Role.RESIDENT and assignment.person.household_id:
        return assignment.person.household.unit
    return assignment.area if scope.user_id else None


def unit_leader(*, unit: Area, on: date | None = None):
    """The user leading this unit on a date (default today), if any."""
    on = on or timezone.localdate()
    assignment = (
        RoleAssignment.objects.filter(area=unit, role=Role.LEADER, since__lte=on)
        .exclude(until__lte=on)
        .select_related("user")
        .order_by("-since")
        .first()
    )
    return assignment.user if assignment else None


def may_open_area(*, actor, area: Area) -> bool:
    """Whether the pages of this unit or area open for the actor (the registry's unit and area pages, a campaign's or
    a levy's unit page): the same test as those pages' own lookup (`areas_visible`), so a page draws a link to them
    (a breadcrumb) only where it would not answer 404. A resident sees their household, not their unit."""
    return scope_for(actor).allows_area(VIEW, area)


def ancestor_paths(area: Area) -> list[str]:
    """The paths of `area` and of every area above it, nearest first."""
    parts = area.path.strip("/").split("/")
    return ["/" + "/".join(parts[:length]) + "/" for length in range(len(parts), 0, -1)]


def office_governing(area: Area) -> Office | None:
    """The office governing `area`: the one attached to it or to the nearest area above it (a unit → its district's)."""
    paths = ancestor_paths(area)
    offices = {
        o.area.path: o for o in Office.objects.filter(area__path__in=paths).select_related("area").order_by("-code")
    }
    for path in paths:
        if path in offices:
            return offices[path]
    return None
