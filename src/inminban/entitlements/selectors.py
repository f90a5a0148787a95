"""Reads about programs, cycles and entitlements, always scoped to the actor.

Programs and cycles are visible downwards (the office's officers and auditors) and upwards (the leaders and
residents of the units they cover), like directives. Entitlement rows follow the household: a leader sees the
unit's, a resident their own household's. Figures per unit and the denial breakdown are aggregated in the database
(one query each), never per household."""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from inminban.areas.access import VIEW, get_visible, restrict, subtree_q
from inminban.areas.models import Area
from inminban.common.errors import NotVisible
from inminban.duties.selectors import addressed_q, ancestor_paths
from inminban.registry.models import Household

from .models import Cycle, CycleTally, Entitlement, Program


def programs_visible(*, actor) -> QuerySet[Program]:
    q = addressed_q(actor)
    programs = Program.objects.select_related("office", "area", "current_version")
    return programs if q is None else programs.filter(q)


def clearance_programs_of_unit(*, actor, unit: Area) -> list[Program]:
    """The school and enlistment clearance programs that cover `unit` (their area holds it)."""
    from .models import CLEARANCE_KINDS

    programs = programs_visible(actor=actor).filter(kind__in=CLEARANCE_KINDS).order_by("kind", "pk")
    return [program for program in programs if unit.path.startswith(program.area.path)]


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


# A leader benefit is denied, by its own rule, to every household without a unit leader: those rows concern nobody.
CONCERNS_HOUSEHOLD = ~Q(cycle__program__kind=Program.Kind.LEADER_BENEFIT) | Q(leaders__gt=0)
NOT_FINAL = (Cycle.Status.DRAFT, Cycle.Status.GENERATING)  # nothing final to read while a cycle is computed


def entitlements_visible(*, actor) -> QuerySet[Entitlement]:
    return restrict(Entitlement.objects.all(), actor, VIEW)


def entitlements_of(*, actor, cycle: Cycle, unit: Area | None = None, eligible: bool | None = None) -> QuerySet:
    rows = entitlements_visible(actor=actor).filter(cycle=cycle).select_related("household", "unit")
    if unit is not None:
        rows = rows.filter(unit=unit)
    if eligible is not None:
        rows = rows.filter(eligible=eligible)
    return rows.order_by("unit__path", "household__number")


def unit_latest_cycles(*, actor, unit: Area) -> list[tuple[Cycle, int, int]]:
    """(cycle, entitled, denied) for the latest computed cycle of each program covering `unit`: two queries."""
    shown = cycles_visible(actor=actor).exclude(status__in=NOT_FINAL)
    latest = shown.filter(program=OuterRef("program")).order_by("-period_start", "-id").values("pk")[:1]
    cycles = list(
        shown.filter(program__area__path__in=ancestor_paths(unit.path), pk=Subquery(latest)).order_by("program_id")
    )
    if not cycles:
        return []
    counts = (
        entitlements_visible(actor=actor)
        .filter(CONCERNS_HOUSEHOLD, cycle__in=cycles, unit=unit)
        .values("cycle_id", "eligible")
        .annotate(n=Count("id"))
        .order_by()
    )
    tally = {(row["cycle_id"], row["eligible"]): row["n"] for row in counts}
    return [(cycle, tally.get((cycle.pk, True), 0), tally.get((cycle.pk, False), 0)) for cycle in cycles]


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
