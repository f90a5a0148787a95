"""Template filters for measures, Korean particles and fractions (inminban.common.wording)."""

from datetime import date
from fractions import Fraction

from django import template

from inminban.common import wording

register = template.Library()


@register.filter
def amount(quantity, measure: str) -> str:
    """{{ share.quantity|amount:obligation.measure }} -> "2.5 person-hours" / "2.5인시"."""
    return wording.amount(quantity, measure)


@register.filter
def measure_unit(measure: str) -> str:
    """{{ obligation.measure|measure_unit }} -> "person-hours" / "인시"."""
    return wording.measure_unit(measure)


@register.filter
def with_particle(word, pair: str) -> str:
    """{{ name|with_particle:"을/를" }} -> "사과를"."""
    return wording.with_particle(word, pair)


@register.filter
def decimal(fraction: str, places: int = 2) -> str:
    """A stored fraction ("16/5") as a decimal a person reads ("3.2"), rounded to `places`."""
    try:
        value = Fraction(str(fraction))
    except (ValueError, ZeroDivisionError):
        return str(fraction)
    return wording.plain_number(round(value.numerator / value.denominator, int(places)))


@register.filter
def as_date(value):
    """An ISO date kept in JSON ("2026-12-01") as a date, so that |date formats it like any other."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value
