"""Reads for distribution: a cycle's reconciliation (what was entitled, collected in full, in part, not at all, and the
conflicts, per counter and in total), the counters a user works at, and a household's vouchers.

Every figure is aggregated in the database, a few GROUP BY queries whatever the cycle's size: entitlements per unit,
redemptions per counter. A counter's entitled households are those of the units it serves (a unit lies in its area),
worked out from the per-unit rows in Python: there are a few thousand units, never millions. Every query is scoped
to the actor with `restrict`."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Sum

from inminban.areas.access import VIEW, restrict
from inminban.areas.models import Area
from inminban.common.errors import NotVisible

from .models import Counter, Cycle, Entitlement, Redemption
from .vouchers import OPEN_STATUSES

ACCEPTED, CONFLICT, RESOLVED = Redemption.Status.ACCEPTED, Redemption.Status.CONFLICT, Redemption.Status.RESOLVED
CONFLICTS_SHOWN = 200


@dataclass
class Figures:
    """Entitled households of an area (or the whole cycle) and how far they collected; what a counter handed out."""

    households: int = 0
    quantity: int = 0  # grams or won, as entitlements count
    full: int = 0
    partial: int = 0
    unredeemed: int = 0
    redeemed: int = 0  # what those households received, wherever they collected it
    handouts: int = 0  # hand-outs recorded at this counter (all counters, for the total)
    handed: int = 0  # what this counter handed out (standing redemptions only)
    offline: int = 0  # of the hand-outs, those recorded offline and uploaded
    conflicts: int = 0  # open conflicts
    resolved: int = 0

    def add(self, other: "Figures") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class CounterRow:
    counter: Counter | None  # None: the households no counter of the cycle serves
    figures: Figures = field(default_factory=Figures)


@dataclass
class Reconciliation:
    cycle: Cycle
    rows: list[CounterRow]
    total: Figures
    conflicts: list[Redemption]


def _unit_figures(*, actor, cycle: Cycle) -> dict[int, Figures]:
    """Entitled households per unit and how far they collected: one GROUP BY over the cycle's entitlements."""
    entitled = restrict(Entitlement.objects.filter(cycle=cycle, eligible=True), actor, VIEW)
    rows = (
        entitled.order_by()
        .values("unit_id")
        .annotate(
            households=Count("id"),
            entitled_total=Sum("quantity"),
            redeemed_total=Sum("redeemed"),
            full=Count("id", filter=Q(redeemed__gt=0, redeemed__gte=F("quantity"))),
            partial=Count("id", filter=Q(redeemed__gt=0, redeemed__lt=F("quantity"))),
            unredeemed=Count("id", filter=Q(redeemed=0)),
        )
    )
    return {
        row["unit_id"]: Figures(
            households=row["households"],
            quantity=row["entitled_total"] or 0,
            redeemed=row["redeemed_total"] or 0,
            full=row["full"],
            partial=row["partial"],
            unredeemed=row["unredeemed"],
        )
        for row in rows
    }


def _counter_handouts(*, actor, cycle: Cycle) -> dict[int, Figures]:
    """Hand-outs per counter: one GROUP BY over the cycle's redemptions."""
    rows = (
        restrict(Redemption.objects.filter(cycle=cycle), actor, VIEW)
        .order_by()
        .values("counter_id")
        .annotate(
            handouts=Count("id", filter=Q(status=ACCEPTED)),
            handed_total=Sum("quantity", filter=Q(status=ACCEPTED)),
            offline=Count("id", filter=Q(status=ACCEPTED, offline=True)),
            conflicts=Count("id", filter=Q(status=CONFLICT)),
            resolved=Count("id", filter=Q(status=RESOLVED)),
        )
    )
    return {
        row["counter_id"]: Figures(
            handouts=row["handouts"],
            handed=row["handed_total"] or 0,
            offline=row["offline"],
            conflicts=row["conflicts"],
            resolved=row["resolved"],
        )
        for row in rows
    }


def counters_of_cycle(*, actor, cycle: Cycle, handed_at: set[int] = frozenset()) -> QuerySet[Counter]:
    """The counters in view that serve part of the cycle's area (or handed out against it)."""
    area = cycle.program.area
    overlap = Q(area__path__startswith=area.path) | Q(pk__in=list(handed_at))
    return restrict(Counter.objects.filter(overlap), actor, VIEW).select_related("area").order_by("area__path", "code")


def cycle_reconciliation(*, actor, cycle: Cycle) -> Reconciliation:
    """Per counter and in total: entitled, collected in full, partly, not at all; hand-outs and conflicts."""
    units = _unit_figures(actor=actor, cycle=cycle)
    handouts = _counter_handouts(actor=actor, cycle=cycle)
    counters = list(counters_of_cycle(actor=actor, cycle=cycle, handed_at=set(handouts)))
    paths = dict(Area.objects.filter(pk__in=list(units)).values_list("pk", "path"))
    total = Figures()
    for figures in units.values():
        total.add(figures)
    served: set[int] = set()
    rows = []
    for counter in counters:
        row = CounterRow(counter)
        for unit_id, figures in units.items():
            if paths[unit_id].startswith(counter.area.path):
                row.figures.add(figures)
                served.add(unit_id)
        row.figures.add(handouts.get(counter.pk, Figures()))
        rows.append(row)
    for counter_figures in handouts.values():
        for name in ("handouts", "handed", "offline", "conflicts", "resolved"):
            setattr(total, name, getattr(total, name) + getattr(counter_figures, name))
    unserved = CounterRow(None)
    for unit_id, figures in units.items():
        if unit_id not in served:
            unserved.figures.add(figures)
    if unserved.figures.households:
        rows.append(unserved)
    return Reconciliation(cycle=cycle, rows=rows, total=total, conflicts=cycle_conflicts(actor=actor, cycle=cycle))


def cycle_conflicts(*, actor, cycle: Cycle) -> list[Redemption]:
    """The cycle's conflicts (open first, then resolved), each with the redemption it collided with."""
    conflicts = (
        restrict(Redemption.objects.filter(cycle=cycle, status__in=(CONFLICT, RESOLVED)), actor, VIEW)
        .select_related(
            "counter", "clerk", "household", "unit", "conflict_with__counter", "conflict_with__clerk", "resolved_by"
        )
        .order_by("status", "handed_at", "id")
    )
    return list(conflicts[:CONFLICTS_SHOWN])


def conflict_detail(*, actor, cycle: Cycle, pk) -> Redemption:
    try:
        return (
            restrict(Redemption.objects.filter(cycle=cycle), actor, VIEW).select_related("unit", "counter").get(pk=pk)
        )
    except (Redemption.DoesNotExist, ValueError, TypeError):
        raise NotVisible(f"redemption {pk} not found") from None


# A household's vouchers -----------------------------------------------------------------------------------------


def household_vouchers(*, actor, household) -> QuerySet[Entitlement]:
    """The household's vouchers of cycles being distributed, newest first, with their stamps."""
    return (
        restrict(Entitlement.objects.all(), actor, VIEW)
        .filter(household=household, eligible=True, voucher__isnull=False, cycle__status__in=OPEN_STATUSES)
        .select_related("cycle__program", "voucher")
        .order_by("-cycle__period_start", "cycle__program_id")
    )
