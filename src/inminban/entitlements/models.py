"""What households are owed: programs (a grain ration, a cash benefit, a leader benefit) run by an office over an
area subtree, their norms and eligibility rules as versioned data, and the cycles that turn them into one
entitlement row per household, with the reasons.

A program's norms and rule live in immutable versions: changing either makes a new version, and a cycle keeps the
version it was generated from, plus a snapshot of what it resolved (obligation titles and standing, age cut-off
dates), so an entitlement can be explained and re-checked after the registry or the program changed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from inminban.areas.models import Area, Office
from inminban.registry.models import Household


def _pick(obj, name: str) -> str:
    ko, en = getattr(obj, f"{name}_ko"), getattr(obj, f"{name}_en")
    if (get_language() or "en").startswith("ko"):
        return ko or en
    return en or ko


class Program(models.Model):
    """An office's program over an area subtree. Its current norms and rule are in `current_version`."""

    class Kind(models.TextChoices):
        GRAIN_RATION = "grain_ration", _("Grain ration")
        CASH_BENEFIT = "cash_benefit", _("Cash benefit")
        LEADER_BENEFIT = "leader_benefit", _("Leader benefit")

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        SEMI_MONTHLY = "semi_monthly", _("Twice a month")
        ONCE = "once", _("Once")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="programs")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="programs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY)
    name_ko = models.CharField(max_length=200, blank=True)
    name_en = models.CharField(max_length=200, blank=True)
    current_version = models.ForeignKey(
        "ProgramVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    # Leaders and residents also see programs that cover their unit from above; see selectors.programs_visible.
    scope_area_lookup = "area"
    scope_household_lookup = None

    class Meta:
        ordering = ["area__path", "id"]

    def __str__(self) -> str:
        return self.name_en or self.name_ko

    @property
    def name(self) -> str:
        return _pick(self, "name")

    @property
    def measure(self) -> str:
        """What the norms count: grams of grain per person per day, or won per person per cycle."""
        return "kpw" if self.kind == self.Kind.CASH_BENEFIT else "g"


class ProgramVersion(models.Model):
    """The norms and the eligibility rule of a program at one time. Never changed once written.

    `norms` is an ordered list of person categories; a person counts in the first category that matches them on
    the reference date: {"code", "name_ko", "name_en", "min_age", "max_age" (inclusive, null for open),
    "occupation" (null: any; "heavy": a job in `heavy_jobs`; "employed": any job; "none": no job), "amount"}.
    `rule` is a tree of conditions, see rules.py."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    norms = models.JSONField()
    heavy_jobs = models.JSONField(default=list, blank=True)
    rule = models.JSONField()
    benefit_days = models.PositiveSmallIntegerField(
        default=0, help_text=_("Leader benefit: days' worth of the leader's own norm per month.")
    )
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    scope_area_lookup = "program__area"
    scope_household_lookup = None

    class Meta:
        ordering = ["program_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["program", "number"], name="one_program_version_number")]

    def __str__(self) -> str:
        return f"{self.program} v{self.number}"


class Cycle(models.Model):
    """One period of a program: generated into entitlements, approved by a second officer, distributed, closed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        GENERATING = "generating", _("Being computed")
        GENERATED = "generated", _("Computed, awaiting approval")
        APPROVED = "approved", _("Approved")
        DISTRIBUTING = "distributing", _("Being distributed")
        CLOSED = "closed", _("Closed")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cycles")
    version = models.ForeignKey(ProgramVersion, on_delete=models.PROTECT, related_name="cycles")
    period_start = models.DateField()
    period_end = models.DateField(help_text=_("Last day of the period, inclusive."))
    reference_date = models.DateField(help_text=_("Members, ages and residence are counted as on this day."))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    snapshot = models.JSONField(default=dict, blank=True)
    households = models.PositiveIntegerField(default=0)
    entitled = models.PositiveIntegerField(default=0)
    denied = models.PositiveIntegerField(default=0)
    total_quantity = models.BigIntegerField(default=0)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    generated_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    distributing_since = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    scope_area_lookup = "program__area"
    scope_household_lookup = None

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "period_start"], name="one_cycle_per_program_start"),
            models.CheckConstraint(name="cycle_period_ordered", condition=Q(period_end__gte=models.F("period_start"))),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1

    @property
    def can_regenerate(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.GENERATED)


class Entitlement(models.Model):
    """What one household is owed in one cycle, or why it is denied. Written only by `cycle_generate`, set-based.

    `outcomes` has one letter per condition of the rule, in the order rules.leaves() lists them: Y held, N failed;
    for stamp conditions S (a valid stamp), E (nothing was due: exempt or fully waived), C (the issuer suspended or
    cancelled the obligation), N (no valid stamp). `stamps` lists, per stamp condition, the id of the stamp used
    (empty when none). `members` lists the members counted on the reference date as "person:category", with "*"
    after a member who held the leader role of a unit (category -1: no category matched)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="entitlements")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="entitlements")
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    eligible = models.BooleanField()
    quantity = models.BigIntegerField(help_text=_("Grams of grain or won; zero when denied."))
    members_counted = models.PositiveSmallIntegerField()
    leaders = models.PositiveSmallIntegerField(default=0)
    members = models.TextField(blank=True)
    outcomes = models.CharField(max_length=64, blank=True)
    stamps = models.TextField(blank=True)

    scope_area_lookup = "unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["cycle_id", "unit_id", "household_id"]
        constraints = [models.UniqueConstraint(fields=["cycle", "household"], name="one_entitlement_per_household")]
        indexes = [models.Index(fields=["cycle", "unit", "eligible"], name="entitlement_cycle_unit_idx")]

    def __str__(self) -> str:
        return f"{'entitled' if self.eligible else 'denied'}: {self.household_id} in cycle {self.cycle_id}"


class CycleTally(models.Model):
    """Households and quantity of a cycle per unit, verdict and outcome pattern, written once when the cycle is
    computed: the officer's figures and the denial breakdown read these few rows per unit, never the millions of
    entitlement rows of a national cycle."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="tallies")
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    eligible = models.BooleanField()
    outcomes = models.CharField(max_length=64, blank=True)
    households = models.PositiveIntegerField()
    quantity = models.BigIntegerField()

    scope_area_lookup = "unit"
    scope_household_lookup = None

    class Meta:
        ordering = ["cycle_id", "unit_id"]
        indexes = [models.Index(fields=["cycle", "unit"], name="tally_cycle_unit_idx")]

    def __str__(self) -> str:
        return f"cycle {self.cycle_id} unit {self.unit_id}: {self.households}"
