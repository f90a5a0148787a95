"""Reads about programs, cycles and entitlements, always scoped to the actor.

Programs and cycles are visible downwards (the office's officers and auditors) and upwards (the leaders and
residents of the units they cover), like directives. Entitlement rows follow the household: a leader sees the
unit's, a resident their own household's. Figures per unit and the denial breakdown are aggregated in the database
(one query each), never per household."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from inminban.areas.access import VIEW, get_visible, restrict, subtree_q
from inminban.areas.models import Area
from inminban.common.errors import NotVisible
from inminban.duties.selectors import addressed_q
from inminban.registry.models import Household

from .models import Cycle, CycleTally, Entitlement, Program


def programs_visible(*, actor) -> QuerySet[Program]:
    q = addressed_q(actor)
    programs = Program.objects.select_related("office", "area", "current_version")
    return programs if q is None else programs.filter(q)


def program_detail(*, actor, pk) -> Program:
    try:
        return programs_visible(actor=actor).get(pk=pk)
    except (Program.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"program {pk} not found") from None


def cycles_visible(*, actor) -> QuerySet[Cycle]:
    q = addressed_q(actor, "program__area")
    cycles = Cycle.objects.select_related("program__area", "program__office", "version", "job")
    return cycles if q is None else cycles.filter(q)


def cycles_of(*, actor, program: Program) -> QuerySet[Cycle]:
    return cycles_visible(actor=actor).filter(program=program)


def cycle_detail(*, actor, pk) -> Cycle:
    try:
        return cycles_visible(actor=actor).get(pk=pk)
    except (Cycle.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"cycle {pk} not found") from None


def entitlements_visible(*, actor) -> QuerySet[Entitlement]:
    return restrict(Entitlement.objects.all(), actor, VIEW)


def entitlements_of(*, actor, cycle: Cycle, unit: Area | None = None, eligible: bool | None = None) -> QuerySet:
    rows = entitlements_visible(actor=actor).filter(cycle=cycle).select_related("household", "unit")
    if unit is not None:
        rows = rows.filter(unit=unit)
    if eligible is not None:
        rows = rows.filter(eligible=eligible)
    return rows.order_by("unit__path", "household__number")


def entitlement_detail(*, actor, pk) -> Entitlement:
    return get_visible(actor, Entitlement.objects.select_related("cycle__program", "household", "unit"), pk)


def household_entitlements(*, actor, household: Household, limit: int = 12) -> list[Entitlement]:
    """The household's latest entitlements across programs, newest period first."""
    rows = (
        entitlements_visible(actor=actor)
        .filter(household=household)
        .select_related("cycle__program", "unit")
        .order_by("-cycle__period_start", "cycle__program_id")
    )
    return list(rows[:limit])


@dataclass
class AreaFigures:
    """Entitled and denied households of one area (a child of the area looked at) in a cycle."""

    area: Area
    households: int = 0
    entitled: int = 0
    quantity: int = 0

    @property
    def denied(self) -> int:
        return self.households - self.entitled


def _tallies(actor, cycle: Cycle, area: Area | None):
    rows = restrict(CycleTally.objects.filter(cycle=cycle), actor, VIEW)
    return rows if area is None else rows.filter(subtree_q("unit__path", area.path))


def cycle_figures(*, actor, cycle: Cycle, area: Area | None = None) -> list[AreaFigures]:
    """Entitled vs denied per child area of `area` (per unit for a district), for the units the actor may see.

    Reads the cycle's tally (a few rows per unit, written when the cycle was computed); units are folded into their
    child area by path in Python: O(units), not O(households)."""
    area = area or cycle.program.area
    children = list(Area.objects.filter(parent=area).order_by("path")) or [area]
    grouped = (
        _tallies(actor, cycle, area)
        .values("unit__path")
        .annotate(
            all_households=Sum("households"),
            entitled_households=Sum("households", filter=Q(eligible=True)),
            all_quantity=Sum("quantity"),
        )
        .order_by()
    )
    figures = {child.path: AreaFigures(area=child) for child in children}
    for row in grouped:
        for path, figure in figures.items():
            if row["unit__path"].startswith(path):
                figure.households += row["all_households"] or 0
                figure.entitled += row["entitled_households"] or 0
                figure.quantity += row["all_quantity"] or 0
                break
    return [figure for figure in figures.values() if figure.households]


def denial_patterns(*, actor, cycle: Cycle, area: Area | None = None) -> list[tuple[str, int]]:
    """(outcomes, households) for the denied households the actor may see: the input of the denial breakdown."""
    rows = _tallies(actor, cycle, area).filter(eligible=False)
    return [(row["outcomes"], row["n"]) for row in rows.values("outcomes").annotate(n=Sum("households")).order_by()]
