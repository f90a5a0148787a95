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

from inminban.areas.models import Area, Office, RoleAssignment
from inminban.registry.models import Household, Person
from inminban.stamps.models import Stamp


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
        SCHOOL_CLEARANCE = "school_clearance", _("School enrolment clearance")
        ENLISTMENT_CLEARANCE = "enlistment_clearance", _("Enlistment clearance")

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        SEMI_MONTHLY = "semi_monthly", _("Twice a month")
        ONCE = "once", _("Once")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="programs")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="programs")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.MONTHLY)
    name_ko = models.CharField(max_length=200, blank=True)
    name_en = models.CharField(max_length=200, blank=True)
    current_version = models.ForeignKey(
        "ProgramVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appeal_days = models.PositiveSmallIntegerField(
        default=14, help_text=_("Days the office has to decide an appeal against a denial.")
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

    @property
    def is_clearance(self) -> bool:
        return self.kind in CLEARANCE_KINDS


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
    vouchers_issued_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When every entitled household's voucher was written.")
    )

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
    voucher = models.OneToOneField(
        Stamp, null=True, blank=True, on_delete=models.PROTECT, related_name="entitlement", db_index=False
    )
    redeemed = models.BigIntegerField(
        default=0, db_default=0, help_text=_("Handed out so far, in the program's measure.")
    )
    appeal = models.ForeignKey(
        "Appeal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text=_("The upheld appeal that granted this entitlement after the cycle denied it."),
    )

    scope_area_lookup = "unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["cycle_id", "unit_id", "household_id"]
        constraints = [models.UniqueConstraint(fields=["cycle", "household"], name="one_entitlement_per_household")]
        indexes = [models.Index(fields=["cycle", "unit", "eligible"], name="entitlement_cycle_unit_idx")]

    def __str__(self) -> str:
        return f"{'entitled' if self.eligible else 'denied'}: {self.household_id} in cycle {self.cycle_id}"

    @property
    def left(self) -> int:
        """What is still to be handed out on the voucher."""
        return max(self.quantity - self.redeemed, 0)


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


CLEARANCE_KINDS = (Program.Kind.SCHOOL_CLEARANCE, Program.Kind.ENLISTMENT_CLEARANCE)
# Programs computed in cycles; a clearance program is checked one person at a time instead.
CYCLE_KINDS = tuple(kind for kind in Program.Kind.values if kind not in CLEARANCE_KINDS)


class Counter(models.Model):
    """A distribution point: where the households of an area collect what their vouchers entitle them to."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="counters")
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="counters", help_text=_("The area it serves.")
    )
    code = models.SlugField(max_length=32, unique=True)
    name_ko = models.CharField(max_length=128, blank=True)
    name_en = models.CharField(max_length=128, blank=True)
    address = models.CharField(max_length=200, blank=True)
    opening_hours = models.CharField(max_length=200, blank=True, help_text=_("For example: Mon–Sat 08:00–13:00."))
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    scope_area_lookup = "area"
    scope_household_lookup = None

    class Meta:
        ordering = ["area__path", "code"]

    def __str__(self) -> str:
        return self.name_en or self.name_ko or self.code

    @property
    def name(self) -> str:
        return _pick(self, "name") or self.code


class CounterClerk(models.Model):
    """The counter a counter-clerk role assignment works at (the assignment's area is the counter's area)."""

    assignment = models.OneToOneField(RoleAssignment, on_delete=models.CASCADE, related_name="counter_post")
    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, related_name="clerk_posts")

    def __str__(self) -> str:
        return f"{self.assignment.user} at {self.counter}"


class Redemption(models.Model):
    """One hand-out at a counter against a voucher, full or partial. Append-only: a redemption recorded offline and
    uploaded later keeps the id its counter gave it, so an upload retried any number of times writes it once.

    Of a voucher's redemptions, those that fit within its quantity, taken in the order they were handed out, stand
    (`accepted`); any beyond what was left is a `conflict` for the office to resolve, never silently dropped."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Handed out")
        CONFLICT = "conflict", _("Conflict: more than was left")
        RESOLVED = "resolved", _("Conflict resolved")

    uid = models.UUIDField(unique=True, help_text=_("Given by the counter, so that a retried upload is recognised."))
    voucher = models.ForeignKey(Stamp, on_delete=models.PROTECT, related_name="redemptions")
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="redemptions")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="redemptions", db_index=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="redemptions")
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, related_name="redemptions")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    clerk_name = models.CharField(max_length=150, blank=True, help_text=_("As the offline counter recorded it."))
    quantity = models.BigIntegerField(help_text=_("In the program's measure: grams or won."))
    handed_at = models.DateTimeField(help_text=_("When it was handed out, by the counter's clock."))
    recorded_at = models.DateTimeField(help_text=_("When the server recorded it."))
    offline = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices)
    conflict_with = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    excess = models.BigIntegerField(default=0, help_text=_("How much more than was left it handed out."))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)

    scope_area_lookup = "unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["handed_at", "recorded_at", "id"]
        indexes = [
            models.Index(fields=["cycle", "counter", "status"], name="redemption_cycle_counter_idx"),
        ]
        constraints = [models.CheckConstraint(name="redemption_quantity_positive", condition=Q(quantity__gt=0))]

    def __str__(self) -> str:
        return f"redemption {self.uid}"


class Clearance(models.Model):
    """A school or recruitment clerk's request for one person's clearance on a day, and the answer: the program's rule
    checked for the person's household (the same rule trees as cycles), granted with a signed clearance stamp or
    denied with what is missing. `snapshot` has the shape of a cycle's, so a denial is explained the same way."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="clearances")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="clearances")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="clearances")
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    on = models.DateField(help_text=_("The day the rule is checked for (the enrolment or enlistment day)."))
    granted = models.BooleanField()
    outcomes = models.CharField(max_length=64, blank=True)
    stamps = models.TextField(blank=True)
    snapshot = models.JSONField(default=dict)
    stamp = models.OneToOneField(
        Stamp, null=True, blank=True, on_delete=models.PROTECT, related_name="clearance", db_index=False
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    appeal = models.ForeignKey(
        "Appeal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text=_("The upheld appeal that granted this clearance."),
    )

    scope_area_lookup = "unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["household", "program"], name="clearance_household_idx")]

    def __str__(self) -> str:
        return f"{'granted' if self.granted else 'denied'} clearance {self.pk}"


class Appeal(models.Model):
    """A denied household's appeal against a cycle's denial or a clearance's, decided by the program's office within
    the program's `appeal_days`. Upheld, it grants the entitlement (or issues the clearance) with the decision as its
    reason; rejected, it says why."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="appeals")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="appeals")
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    entitlement = models.ForeignKey(
        Entitlement, null=True, blank=True, on_delete=models.PROTECT, related_name="appeals"
    )
    clearance = models.ForeignKey(Clearance, null=True, blank=True, on_delete=models.PROTECT, related_name="appeals")
    reason = models.TextField(max_length=2000)
    attachment = models.FileField(upload_to="appeals/%Y/%m/", blank=True, max_length=200)
    attachment_name = models.CharField(max_length=200, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(max_length=2000, blank=True)

    scope_area_lookup = "unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["status", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="appeal_against_one_denial",
                condition=(
                    Q(entitlement__isnull=False, clearance__isnull=True)
                    | Q(entitlement__isnull=True, clearance__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.status})"
