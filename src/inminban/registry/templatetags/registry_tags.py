"""Template helpers of the registry's pages."""

from django import template

from inminban.areas.access import CHANGE, can

register = template.Library()


@register.filter
def may_change(user, area) -> bool:
    """Whether the user may change the registry of this area (shows the "Register" actions)."""
    return area is not None and can(user, CHANGE, area)
