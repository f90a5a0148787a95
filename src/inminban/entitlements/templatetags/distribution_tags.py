"""Distribution blocks for pages other apps render: a household's vouchers on /my-household/, and whether the user
may print a unit's voucher sheet (the leader's cycle unit page). Inclusion and simple tags, so those pages' views
need not know about vouchers; reads go through reconciliation.py's scoped selectors."""

from django import template

from inminban.areas.access import CHANGE, can

from ..explain import amount_text
from ..reconciliation import household_vouchers as vouchers_of

register = template.Library()


@register.inclusion_tag("entitlements/_household_vouchers.html", takes_context=True)
def household_vouchers(context, household):
    actor = context["request"].user
    items = []
    for entitlement in vouchers_of(actor=actor, household=household)[:6]:
        kind = entitlement.cycle.program.kind
        items.append(
            {
                "entitlement": entitlement,
                "cycle": entitlement.cycle,
                "program": entitlement.cycle.program,
                "voucher": entitlement.voucher,
                "entitled": amount_text(entitlement.quantity, kind),
                "left": amount_text(entitlement.left, kind),
                "received": amount_text(entitlement.redeemed, kind) if entitlement.redeemed else "",
            }
        )
    return {"items": items}


@register.simple_tag(takes_context=True)
def may_print_vouchers(context, cycle, unit) -> bool:
    """Whether the unit's voucher sheet is there to print: vouchers issued, and the user changes the unit's records
    (its leader, the office)."""
    return bool(cycle.vouchers_issued_at) and can(context["request"].user, CHANGE, unit)
