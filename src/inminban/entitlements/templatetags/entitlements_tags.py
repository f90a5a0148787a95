"""Entitlement blocks for pages other apps render: a household's rations and benefits with their reasons (the
household page, /my-household/), and the latest cycle of each program covering a unit (the unit page, /day/).

Inclusion tags, so those pages' views need not know about entitlements; every read goes through the selectors,
scoped to the user, in a fixed number of queries."""

from django import template
from django.utils.translation import gettext as _

from inminban.areas.access import VIEW, can
from inminban.registry.selectors import persons_visible
from inminban.stamps.selectors import stamps_visible

from .. import explain, selectors, wording
from ..models import Appeal, Cycle

register = template.Library()


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
        if row.cycle.status not in selectors.NOT_FINAL and wording.concerns(row, row.cycle.program)
    ]
    explained = [(row, explain.explain(row.cycle, row)) for row in rows]
    names = _names(actor, [e for _row, e in explained])
    serials = _serials(actor, [e for _row, e in explained])
    from ..appeals import APPEALABLE, household_appeals, may_file

    open_appeals = {
        appeal.entitlement_id: appeal
        for appeal in household_appeals(actor=actor, household=household).filter(
            status=Appeal.Status.OPEN, entitlement__isnull=False
        )
    }
    may_appeal = may_file(actor, household)
    items = []
    for row, explanation in explained:
        cycle = row.cycle
        kind = cycle.program.kind
        items.append(
            {
                "open_appeal": open_appeals.get(row.pk),
                "may_appeal": may_appeal and not row.eligible and cycle.status in APPEALABLE,
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
    items = [
        {"cycle": cycle, "entitled": entitled, "denied": denied}
        for cycle, entitled, denied in selectors.unit_latest_cycles(actor=actor, unit=unit)
    ]
    if not items:
        return {"items": []}
    return {"items": items, "unit": unit}


@register.inclusion_tag("entitlements/_household_clearances.html", takes_context=True)
def household_clearances_and_appeals(context, household):
    """A household's school and enlistment clearances (granted or what was missing) and its appeals with their
    decisions, for /my-household/ and the household page."""
    from ..appeals import household_appeals, is_overdue, may_file
    from ..clearances import condition_rows, household_clearances

    actor = context["request"].user
    clearances = household_clearances(actor=actor, household=household, limit=10)
    appeals = list(household_appeals(actor=actor, household=household)[:10])
    waiting = {appeal.clearance_id: appeal for appeal in appeals if appeal.clearance_id and appeal.status == "open"}
    may_appeal = may_file(actor, household)
    return {
        "clearances": [
            {
                "clearance": clearance,
                "missing": [row for row in condition_rows(clearance) if not row["met"]],
                "open_appeal": waiting.get(clearance.pk),
                "may_appeal": may_appeal and not clearance.granted,
            }
            for clearance in clearances
        ],
        "appeals": [{"appeal": appeal, "overdue": is_overdue(appeal)} for appeal in appeals],
    }


@register.inclusion_tag("entitlements/_unit_clearance_risks.html", takes_context=True)
def unit_clearance_links(context, unit):
    """Links to the households of `unit` at risk of a school or enlistment clearance denial, one per program."""
    actor = context["request"].user
    if unit is None or not can(actor, VIEW, unit):
        return {"programs": []}
    return {"programs": selectors.clearance_programs_of_unit(actor=actor, unit=unit), "unit": unit}
