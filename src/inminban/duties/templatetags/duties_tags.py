"""Presentation helpers for duties templates."""

from django import template

from inminban.common.wording import measure_unit

from ..models import plain

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity without trailing zeros: 10.00 -> 10."""
    return plain(value)


@register.filter
def symbol(measure: str) -> str:
    """The unit of a measure in the UI language: person-hours / 인시, m³, kg, won / 원; never the stored code."""
    return measure_unit(measure)
