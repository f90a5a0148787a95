"""Presentation helpers for duties templates."""

from django import template

from ..models import MEASURE_SYMBOLS, plain

register = template.Library()


@register.filter
def qty(value) -> str:
    """A quantity without trailing zeros: 10.00 -> 10."""
    return plain(value)


@register.filter
def symbol(measure: str) -> str:
    """The short unit of a measure: h, m³, kg, ₩."""
    return MEASURE_SYMBOLS.get(measure, measure)
