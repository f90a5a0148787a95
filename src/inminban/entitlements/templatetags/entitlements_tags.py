"""Entitlement blocks for pages other apps render: a household's rations and benefits with their reasons (the
household page, /my-household/), and the latest cycle of each program covering a unit (the unit page, /day/).

Inclusion tags, so those pages' views need not know about entitlements; every read goes through the selectors,
scoped to the user, in a fixed number of queries."""

from django import template
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from inminban.areas.access import VIEW, can
from inminban.duties.selectors import ancestor_paths
from inminban.registry.selectors import persons_visible
from inminban.stamps.selectors import stamps_visible

from .. import explain, selectors, wording
from ..models import Cycle, Program

register = template.Library()

NOT_SHOWN = (Cycle.Status.DRAFT, Cycle.Status.GENERATING)  # nothing final to read while a cycle is computed
# wording.concerns, as a filter: a leader benefit counts only the households of unit leaders.
LEADERS_ONLY = ~Q(cycle__program__kind=Program.Kind.LEADER_BENEFIT) | Q(leaders__gt=0)


def _names(actor, explanations) -> dict[int, str]:
    ids = {member.person_id for e in explanations for member in e.members}
    if not ids:
        return {}
    return {person.pk: person.full_name for person in persons_visible(actor=actor).filter(pk__in=ids)}


def _serials(actor, explanations) -> dict[int, str]:
    ids = {c.stamp_id for e in explanations for c in e.conditions if c.stamp_id}
    if not ids:
        return {}
    return {
        pk: str(serial) for pk, serial in stamps_visible(actor=actor).filter(pk__in=ids).values_list("pk", "serial")
    }


@register.inclusion_tag("entitlements/_household_entitlements.html", takes_context=True)
def household_entitlements(context, household):
    request = context["request"]
    actor = request.user
    rows = [
        row
        for row in selectors.household_entitlements(actor=actor, household=household)
        if row.cycle.status not in NOT_SHOWN and wording.concerns(row, row.cycle.program)
    ]
    explained = [(row, explain.explain(row.cycle, row)) for row in rows]
    names = _names(actor, [e for _row, e in explained])
    serials = _serials(actor, [e for _row, e in explained])
    items = []
    for row, explanation in explained:
        cycle = row.cycle
        kind = cycle.program.kind
        items.append(
            {
                "program": cycle.program,
                "cycle": cycle,
                "entitlement": row,
                "explanation": explanation,
                "preliminary": cycle.status == Cycle.Status.GENERATED,
                "conditions": wording.condition_rows(cycle, explanation.conditions, serials),
                "members": [
                    {
                        "name": names.get(member.person_id) or _("a former member"),
                        "category": member.category,
                        "amount": wording.amount_per(member.amount, kind),
                        "leader": member.leader,
                    }
                    for member in explanation.members
                ],
            }
        )
    return {"items": items, "household": household}


@register.inclusion_tag("entitlements/_unit_cycles.html", takes_context=True)
def unit_cycles(context, unit):
    """The latest computed cycle of each program covering `unit`, with how many of its households are entitled."""
    actor = context["request"].user
    if unit is None or not can(actor, VIEW, unit):
        return {"items": []}
    shown = selectors.cycles_visible(actor=actor).exclude(status__in=NOT_SHOWN)
    latest = shown.filter(program=OuterRef("program")).order_by("-period_start", "-id").values("pk")[:1]
    cycles = list(
        shown.filter(program__area__path__in=ancestor_paths(unit.path), pk=Subquery(latest)).order_by("program_id")
    )
    if not cycles:
        return {"items": []}
    counts = (
        selectors.entitlements_visible(actor=actor)
        .filter(cycle__in=cycles, unit=unit)
        .filter(LEADERS_ONLY)
        .values("cycle_id", "eligible")
        .annotate(n=Count("id"))
        .order_by()
    )
    tally = {(row["cycle_id"], row["eligible"]): row["n"] for row in counts}
    items = [
        {"cycle": cycle, "entitled": tally.get((cycle.pk, True), 0), "denied": tally.get((cycle.pk, False), 0)}
        for cycle in cycles
    ]
    return {"items": items, "unit": unit}
