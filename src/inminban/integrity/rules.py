"""Which detection rules hold where: an office's own row for a pattern, else the nearest office above with one, else
the deployment's row (office empty), else the defaults written here. Like governance/rules.py, but per pattern.

What `threshold` and `min_count` mean depends on the pattern (`MEANINGS`): days, a ratio to the district's rate, a
share of households in percent, or nothing (the pattern has no threshold: any occurrence is a flag)."""

from dataclasses import dataclass
from decimal import Decimal

from inminban.areas.models import Office
from inminban.areas.selectors import ancestor_paths

from .models import DetectionRule, Pattern

# How many seconds apart a whole household's attendance may have been recorded to count as "in one go" (one sheet,
# one transaction: the services write a sheet in well under a second).
BULK_SECONDS = 10

# The kinds of threshold, with their bounds (inclusive) and whether a whole number is required.
NONE, DAYS, RATIO, PERCENT = "none", "days", "ratio", "percent"
BOUNDS = {
    NONE: (Decimal("0"), Decimal("0")),
    DAYS: (Decimal("0"), Decimal("3650")),
    RATIO: (Decimal("1"), Decimal("1000")),  # "far above" the district's rate: at least the rate itself
    PERCENT: (Decimal("0"), Decimal("100")),
}
MIN_COUNT_MAX = 100_000
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Meaning:
    threshold: str  # NONE, DAYS, RATIO or PERCENT
    uses_min_count: bool


MEANINGS: dict[str, Meaning] = {
    Pattern.STAY_UNREGISTERED: Meaning(NONE, False),
    Pattern.LEADER_OWN_ATTENDANCE: Meaning(NONE, False),
    Pattern.LEADER_OWN_CONFIRMATION: Meaning(NONE, False),
    Pattern.STAMP_UNFULFILLED: Meaning(NONE, False),
    # threshold: % of the session's attending households recorded whole in one go; min_count: at least so many.
    Pattern.BULK_ATTENDANCE: Meaning(PERCENT, True),
    # threshold: days after the session's day.
    Pattern.LATE_ATTENDANCE: Meaning(DAYS, False),
    # threshold: times the district's rate; min_count: waivers and exemptions in the unit, at least.
    Pattern.WAIVER_RATE: Meaning(RATIO, True),
    # threshold: days before the cycle's reference date.
    Pattern.MEMBERS_BEFORE_CYCLE: Meaning(DAYS, False),
}


@dataclass(frozen=True)
class Rule:
    pattern: str
    enabled: bool
    threshold: Decimal
    min_count: int
    office: Office | None = None  # the office whose row it is; None for the deployment's row or the defaults
    source: str = "default"  # "office", "deployment" or "default"


# The deployment's defaults, in code; an office (or the deployment's row) overrides them with a DetectionRule.
DEFAULTS: dict[str, Rule] = {
    pattern: Rule(pattern=pattern, enabled=True, threshold=Decimal(threshold).quantize(CENT), min_count=min_count)
    for pattern, threshold, min_count in (
        (Pattern.STAY_UNREGISTERED, "0", 1),
        (Pattern.LEADER_OWN_ATTENDANCE, "0", 1),
        (Pattern.LEADER_OWN_CONFIRMATION, "0", 1),
        (Pattern.STAMP_UNFULFILLED, "0", 1),
        (Pattern.BULK_ATTENDANCE, "80", 5),
        (Pattern.LATE_ATTENDANCE, "3", 1),
        (Pattern.WAIVER_RATE, "3.0", 3),
        (Pattern.MEMBERS_BEFORE_CYCLE, "14", 1),
    )
}


def _from_row(row: DetectionRule, source: str) -> Rule:
    return Rule(
        pattern=row.pattern,
        enabled=row.enabled,
        threshold=row.threshold,
        min_count=row.min_count,
        office=row.office,
        source=source,
    )


def deployment_rule(pattern: str) -> Rule:
    """The rule where no office has its own: the deployment's row, else the code's default."""
    row = DetectionRule.objects.filter(office__isnull=True, pattern=pattern).first()
    return _from_row(row, "deployment") if row is not None else DEFAULTS[pattern]


def rule_for(office: Office | None, pattern: str) -> Rule:
    """The rule `office` (and the units it governs) works by for `pattern`."""
    if office is None:
        return deployment_rule(pattern)
    paths = ancestor_paths(office.area)
    rows = list(
        DetectionRule.objects.filter(pattern=pattern, office__area__path__in=paths)
        .select_related("office__area")
        .order_by("office__code")
    )
    for path in paths:
        here = [row for row in rows if row.office.area.path == path]
        if here:
            # Of two offices on one area, the office's own row, else the first by code (as the scan reads them).
            return _from_row(next((row for row in here if row.office_id == office.pk), here[0]), "office")
    return deployment_rule(pattern)


def rules_for(office: Office | None) -> dict[str, Rule]:
    """Every pattern's rule for `office`."""
    return {pattern: rule_for(office, pattern) for pattern in Pattern.values}


@dataclass(frozen=True)
class Tiers:
    """A pattern's rules across the area tree, for the scan: the rule everywhere no office says otherwise, and the
    offices' own rules by area path, the nearest (longest path) first. A unit works by the first tier whose path
    starts its own, else by `default`."""

    default: Rule
    tiers: tuple[tuple[str, Rule], ...]

    @property
    def enabled_anywhere(self) -> bool:
        return self.default.enabled or any(rule.enabled for _, rule in self.tiers)

    @property
    def uniform(self) -> bool:
        return not self.tiers


def tiers_for(pattern: str) -> Tiers:
    """One query: the pattern's rows, with their offices' area paths."""
    rows = list(DetectionRule.objects.filter(pattern=pattern).select_related("office__area").order_by("office__code"))
    default = next((_from_row(row, "deployment") for row in rows if row.office_id is None), DEFAULTS[pattern])
    by_path: dict[str, Rule] = {}
    for row in rows:
        if row.office_id is not None:
            by_path.setdefault(row.office.area.path, _from_row(row, "office"))
    ordered = sorted(by_path.items(), key=lambda item: (-len(item[0]), item[0]))
    return Tiers(default=default, tiers=tuple(ordered))
