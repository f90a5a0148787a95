"""When an overnight guest must be registered, as data per office: an office's own `StayRules` row, else the nearest
office above with one, else the model's field defaults (before 22:00 on the day of arrival). Like the governance
rules (governance/rules.py), the deployment's defaults are the model's field defaults."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from inminban.areas.models import Area, Office
from inminban.areas.selectors import ancestor_paths

from .models import StayRules

RULE_FIELDS = ("deadline_time", "deadline_days")
# The longest an office may give households after the day of arrival: a week keeps "registered on time" meaningful.
MAX_DEADLINE_DAYS = 7


@dataclass(frozen=True)
class StayRule:
    deadline_time: time
    deadline_days: int
    office: Office | None = None  # the office whose row these are; None for the defaults


def default_stay_rules() -> StayRule:
    return StayRule(**{name: StayRules._meta.get_field(name).get_default() for name in RULE_FIELDS})


def _rules_along(paths: list[str]) -> StayRule:
    """The rule of the nearest of `paths` (nearest first) whose office has a row; the defaults when none has."""
    rows = {
        row.office.area.path: row
        for row in StayRules.objects.filter(office__area__path__in=paths).select_related("office__area")
    }
    for path in paths:
        row = rows.get(path)
        if row is not None:
            return StayRule(**{name: getattr(row, name) for name in RULE_FIELDS}, office=row.office)
    return default_stay_rules()


def stay_rules_of_office(office: Office) -> StayRule:
    """The rule `office` works by: its own, or the nearest office above's, or the defaults."""
    return _rules_along(ancestor_paths(office.area))


def stay_rules_for(unit: Area) -> StayRule:
    """The rule households of `unit` register their guests by: that of the office governing the unit (its
    district's), inherited from above when that office has none of its own. One query."""
    return _rules_along(ancestor_paths(unit))


def deadline_under(rule: StayRule, arrives_on: date) -> datetime:
    """When a stay arriving on `arrives_on` is due under `rule`, in the deployment's time zone (INMINBAN_TIME_ZONE):
    the households' clock, whatever the time zone of the request."""
    day = arrives_on + timedelta(days=rule.deadline_days)
    return timezone.make_aware(datetime.combine(day, rule.deadline_time), timezone.get_default_timezone())


def stay_deadline(unit: Area, arrives_on: date) -> datetime:
    """When a guest arriving in `unit` on `arrives_on` must be registered by (an aware datetime)."""
    return deadline_under(stay_rules_for(unit), arrives_on)
