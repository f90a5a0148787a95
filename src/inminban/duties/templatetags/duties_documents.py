"""Template filters for the printed sheets and exports: who is offered them."""

from django import template

from inminban.duties import exports

register = template.Library()


@register.filter
def sees_units(user) -> bool:
    """Residents are not offered the unit documents, which would answer them 404 or 403."""
    return exports.sees_units(user)
