"""The measures duties are counted in, shared by the duties (quotas, shares) and the stamps (what a stamp certifies):
codes are stored, words are shown."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Measure(models.TextChoices):
    PERSON_HOURS = "person_hours", _("person-hours")
    M3 = "m3", _("cubic metres")
    KG = "kg", _("kilograms")
    KPW = "kpw", _("won (KPW)")


MEASURE_SYMBOLS = {Measure.PERSON_HOURS: "h", Measure.M3: "m³", Measure.KG: "kg", Measure.KPW: "₩"}


def measure_words(code: str) -> str:
    """A stored measure in the UI language ("person-hours", "kilograms"); an unknown code as stored."""
    try:
        return str(Measure(code).label)
    except ValueError:
        return code
