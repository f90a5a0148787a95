"""Which governance rules hold for an office: its own row, else the nearest office above with one, else the
defaults of `GovernanceRules` (the deployment's defaults are the model's field defaults)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from inminban.areas.models import Area, Office, Role, RoleAssignment
from inminban.areas.selectors import ancestor_paths, office_governing

from .models import GovernanceRules

RULE_FIELDS = (
    "electorate",
    "adult_age",
    "quorum_percent",
    "approval_percent",
    "window_days",
    "term_months",
    "renomination_wait_days",
    "recall_signature_percent",
    "escalation_percent",
    "response_days",
)


@dataclass(frozen=True)
class Rules:
    electorate: str
    adult_age: int
    quorum_percent: Decimal
    approval_percent: Decimal
    window_days: int
    term_months: int
    renomination_wait_days: int
    recall_signature_percent: Decimal
    escalation_percent: Decimal
    response_days: int
    office: Office | None = None  # the office whose row these are; None for the defaults


def default_rules() -> Rules:
    fields = {name: GovernanceRules._meta.get_field(name).get_default() for name in RULE_FIELDS}
    return Rules(**fields)


def rules_for(office: Office) -> Rules:
    """The rules `office` works by."""
    paths = ancestor_paths(office.area)
    rows = {
        row.office.area.path: row
        for row in GovernanceRules.objects.filter(office__area__path__in=paths).select_related("office__area")
    }
    for path in paths:
        row = rows.get(path)
        if row is not None:
            return Rules(**{name: getattr(row, name) for name in RULE_FIELDS}, office=row.office)
    return default_rules()


def office_above(office: Office) -> Office | None:
    """The office of the nearest area above `office`'s area that has one (a district's office → the city's)."""
    paths = ancestor_paths(office.area)[1:]
    offices = {
        o.area.path: o for o in Office.objects.filter(area__path__in=paths).select_related("area").order_by("-code")
    }
    for path in paths:
        if path in offices:
            return offices[path]
    return None


def office_of_area(area: Area) -> Office | None:
    """The office governing `area`: the one attached to it or to the nearest area above it (a unit → its district's)."""
    return office_governing(area)


def active_on(queryset: QuerySet, on: date) -> QuerySet:
    """Role assignments in force on `on`."""
    return queryset.filter(since__lte=on).filter(Q(until__isnull=True) | Q(until__gt=on))


def sitting_leader(unit: Area, on: date | None = None) -> RoleAssignment | None:
    """The leader role assignment of the unit in force on `on` (default today), the most recent if several."""
    on = on or timezone.localdate()
    rows = active_on(RoleAssignment.objects.filter(area=unit, role=Role.LEADER), on)
    return rows.select_related("user", "person").order_by("-since", "-id").first()
