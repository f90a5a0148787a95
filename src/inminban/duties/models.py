"""What households owe: directives to acknowledge, labour campaigns and levies with a fair share for each household.

An office issues a directive, a campaign or a levy to a subtree of areas. Campaigns and levies carry a quota per
unit, which is allocated to the unit's households by an allocation rule (data, not code) into shares. Leaders record
acknowledgements, attendance and deliveries; when a share is fulfilled (or a directive acknowledged) the leader
confirms it and the stamps app issues a signed stamp, whose serial is kept here."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from inminban.areas.models import Area, Office
from inminban.common.measures import MEASURE_SYMBOLS, Measure  # noqa: F401  (the duties' names for them)
from inminban.common.wording import measure_unit
from inminban.registry.models import Household, Person

QUANTITY = {"max_digits": 14, "decimal_places": 2}
CENT = Decimal("0.01")


def plain(value) -> str:
    """A quantity without trailing zeros: 10.00 -> "10", 4.50 -> "4.5"."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


# The smallest amount a share is counted in, unless a campaign or levy says otherwise: nobody owes 3.37 hours.
DEFAULT_STEPS = {
    Measure.PERSON_HOURS: Decimal("0.5"),
    Measure.M3: Decimal("0.01"),
    Measure.KG: Decimal("0.1"),
    Measure.KPW: Decimal("1"),
}


class ExemptionReason(models.TextChoices):
    """The fixed list of person-level exemptions. Codes only: no free-text medical detail is ever stored."""

    DISABILITY = "disability", _("Disability")
    PREGNANCY = "pregnancy", _("Pregnancy")
    INFANT_CARE = "infant_care", _("Caring for an infant")


def all_exemption_reasons() -> list[str]:
    return list(ExemptionReason.values)


class Localized:
    """`title` and `description` in the active language, falling back to the other one."""

    def _pick(self, name: str) -> str:
        ko, en = getattr(self, f"{name}_ko"), getattr(self, f"{name}_en")
        if (get_language() or "en").startswith("ko"):
            return ko or en
        return en or ko

    @property
    def title(self) -> str:
        return self._pick("title")


class AllocationRule(models.Model):
    """How a unit's quota is divided among its households, and who is exempt. Configurable per deployment
    (office empty) or per office; each campaign or levy names the rule it uses."""

    class Method(models.TextChoices):
        EQUAL = "equal", _("Equal per household")
        WORKING_AGE = "working_age", _("Per working-age member")
        CAPACITY = "capacity", _("Per capacity (declared income)")

    code = models.SlugField(max_length=48, unique=True)
    name_ko = models.CharField(max_length=128, blank=True)
    name_en = models.CharField(max_length=128, blank=True)
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.EQUAL)
    min_age = models.PositiveSmallIntegerField(default=17, help_text=_("Youngest liable age (working age)."))
    max_age = models.PositiveSmallIntegerField(default=60, help_text=_("Oldest liable age, inclusive."))
    exempt_reasons = models.JSONField(default=all_exemption_reasons, help_text=_("Exemption codes honoured."))
    exempt_occupations = models.JSONField(default=list, blank=True, help_text=_("Job titles that are exempt."))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_area_lookup = "office__area"
    scope_household_lookup = None

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return (
            (self.name_ko or self.name_en)
            if (get_language() or "en").startswith("ko")
            else (self.name_en or self.name_ko)
        )

    def as_params(self) -> dict:
        """The parameters an allocation used, kept in every share's explanation."""
        return {
            "code": self.code,
            "method": self.method,
            "min_age": self.min_age,
            "max_age": self.max_age,
            "exempt_reasons": sorted(self.exempt_reasons or []),
            "exempt_occupations": sorted(self.exempt_occupations or []),
        }


class DutyExemption(models.Model):
    """A person excused from labour and levies for a while, for one reason from a fixed list. Restricted data:
    seen only by the leader and officers of the person's unit, never on other households' or public pages."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="duty_exemptions")
    reason = models.CharField(max_length=16, choices=ExemptionReason.choices)
    since = models.DateField()
    until = models.DateField(null=True, blank=True, help_text=_("Exclusive end; empty while it holds."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    scope_area_lookup = "person__household__unit"
    scope_household_lookup = None  # not even the person's own household sees it through the generic scope

    class Meta:
        ordering = ["person_id", "-since"]
        constraints = [
            models.CheckConstraint(
                name="exemption_dates_ordered", condition=Q(until__isnull=True) | Q(until__gt=models.F("since"))
            ),
        ]

    def __str__(self) -> str:
        return f"exemption of {self.person_id} from {self.since}"


# Directives -----------------------------------------------------------------------------------------------------


class Directive(Localized, models.Model):
    """An order or notice an office sends to every household in a subtree of areas, relayed by the leaders."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="directives")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="directives")
    title_ko = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    text_ko = models.TextField(blank=True)
    text_en = models.TextField(blank=True)
    effective_on = models.DateField()
    due_on = models.DateField(null=True, blank=True, help_text=_("Acknowledgements are due by this day."))
    requires_ack = models.BooleanField(default=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()

    # Visibility also runs upwards (a leader sees what was sent to the district); see selectors.directives_visible.
    scope_area_lookup = "area"
    scope_household_lookup = None

    class Meta:
        ordering = ["-effective_on", "-id"]

    def __str__(self) -> str:
        return self.title_en or self.title_ko

    @property
    def text(self) -> str:
        return self._pick("text")

    @property
    def ref(self) -> str:
        return f"directive:{self.pk}"


class DirectiveAttachment(models.Model):
    """A document that goes with a directive, as a link (the office's file server, a published order)."""

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(max_length=200)
    url = models.URLField(max_length=500)

    scope_area_lookup = "directive__area"
    scope_household_lookup = None

    class Meta:
        ordering = ["directive_id", "id"]

    def __str__(self) -> str:
        return self.title


class DirectiveAcknowledgement(models.Model):
    """A household has received a directive: recorded by the leader at the door or by the resident online.
    The leader's confirmation issues a stamp."""

    class Channel(models.TextChoices):
        LEADER = "leader", _("Recorded by the leader")
        RESIDENT = "resident", _("By the resident")

    directive = models.ForeignKey(Directive, on_delete=models.PROTECT, related_name="acknowledgements")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="acknowledgements")
    acknowledged_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stamp_serial = models.CharField(max_length=64, blank=True)

    scope_area_lookup = "household__unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["directive_id", "household_id"]
        constraints = [models.UniqueConstraint(fields=["directive", "household"], name="one_ack_per_household")]

    def __str__(self) -> str:
        return f"{self.household_id} acknowledged {self.directive_id}"


# Campaigns and levies -------------------------------------------------------------------------------------------


class Standing(models.TextChoices):
    """Whether the issuing office still asks for an obligation. Suspended or cancelled obligations count as
    fulfilled wherever a stamp for them is required (no household is denied for a duty its issuer stopped)."""

    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended by its issuer")
    CANCELLED = "cancelled", _("Cancelled by its issuer")


class Obligation(Localized, models.Model):
    """What campaigns and levies have in common: an office asks a subtree for a quantity in one measure."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    title_ko = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    description_ko = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    measure = models.CharField(max_length=16, choices=Measure.choices)
    step = models.DecimalField(**QUANTITY, help_text=_("Shares are whole multiples of this amount."))
    rule = models.ForeignKey(AllocationRule, on_delete=models.PROTECT, related_name="+")
    place = models.CharField(max_length=200, blank=True)
    starts_on = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    standing = models.CharField(max_length=16, choices=Standing.choices, default=Standing.ACTIVE)
    standing_reason = models.CharField(max_length=300, blank=True)
    standing_changed_at = models.DateTimeField(null=True, blank=True)
    standing_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_area_lookup = "area"
    scope_household_lookup = None

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title_en or self.title_ko

    @property
    def description(self) -> str:
        return self._pick("description")

    @property
    def measure_symbol(self) -> str:
        """The unit shown after a quantity, as a word in the UI language ("person-hours" / "인시", "kg")."""
        return measure_unit(self.measure)

    @property
    def is_stopped(self) -> bool:
        """Suspended or cancelled by its issuer: nobody is held to it."""
        return self.standing != Standing.ACTIVE


class Campaign(Obligation):
    """A labour mobilisation: street cleaning, river cleanup, gravel for a greenhouse. Counted in person-hours
    (from attendance) or in a physical measure (from deliveries)."""

    ends_on = models.DateField()

    class Meta:
        ordering = ["-starts_on", "-id"]

    kind_label = _("Labour campaign")
    duty_kind = "labour"

    @property
    def ref(self) -> str:
        return f"campaign:{self.pk}"

    @property
    def period_end(self):
        return self.ends_on


class Levy(Obligation):
    """A 'non-tax burden': goods or cash a subtree must deliver by a date (food for the army, construction
    materials, manure, cash for a construction project)."""

    class Kind(models.TextChoices):
        FOOD = "food", _("Food")
        MATERIALS = "materials", _("Construction materials")
        MANURE = "manure", _("Manure")
        CASH = "cash", _("Cash")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    due_on = models.DateField()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name_plural = "levies"

    kind_label = _("Levy")
    duty_kind = "levy"

    @property
    def ref(self) -> str:
        return f"levy:{self.pk}"

    @property
    def period_end(self):
        return self.due_on


class Quota(models.Model):
    """How much one unit owes to a campaign or a levy; allocated to the unit's households as shares."""

    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="quotas")
    levy = models.ForeignKey(Levy, null=True, blank=True, on_delete=models.PROTECT, related_name="quotas")
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    as_of = models.DateField(help_text=_("Households, members and ages were taken as they were on this day."))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    scope_area_lookup = "unit"
    scope_household_lookup = None

    class Meta:
        ordering = ["unit__path"]
        constraints = [
            models.CheckConstraint(
                name="quota_for_one_obligation",
                condition=Q(campaign__isnull=False, levy__isnull=True) | Q(campaign__isnull=True, levy__isnull=False),
            ),
            models.UniqueConstraint(fields=["campaign", "unit"], name="one_quota_per_campaign_unit"),
            models.UniqueConstraint(fields=["levy", "unit"], name="one_quota_per_levy_unit"),
            models.CheckConstraint(name="quota_not_negative", condition=Q(quantity__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.obligation} @ {self.unit_id}: {self.quantity}"

    @property
    def obligation(self) -> Campaign | Levy:
        return self.campaign if self.campaign_id else self.levy


class Share(models.Model):
    """One household's part of a unit's quota, with the explanation of how it was computed. `done` counts
    attendance hours (person-hour campaigns) or deliveries; approved waivers are forgiven, not redistributed."""

    quota = models.ForeignKey(Quota, on_delete=models.PROTECT, related_name="shares")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="duty_shares")
    quantity = models.DecimalField(**QUANTITY)
    waived = models.DecimalField(**QUANTITY, default=Decimal("0"))
    done = models.DecimalField(**QUANTITY, default=Decimal("0"))
    explanation = models.JSONField(default=dict)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stamp_serial = models.CharField(max_length=64, blank=True)
    # Set when the issuer suspended or cancelled the obligation while the share was still open: the household is no
    # longer held to it, and what it still owed is forgiven, never passed on. Resuming a suspension clears both.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_remaining = models.DecimalField(
        **QUANTITY, null=True, blank=True, help_text=_("What was still owed when the issuer stopped the obligation.")
    )

    scope_area_lookup = "quota__unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["quota_id", "household__number"]
        constraints = [
            models.UniqueConstraint(fields=["quota", "household"], name="one_share_per_household"),
            models.CheckConstraint(name="share_not_negative", condition=Q(quantity__gte=0, waived__gte=0, done__gte=0)),
            models.CheckConstraint(name="waived_within_share", condition=Q(waived__lte=models.F("quantity"))),
            models.CheckConstraint(
                name="share_cancelled_with_remaining",
                condition=Q(cancelled_at__isnull=True, cancelled_remaining__isnull=True)
                | Q(cancelled_at__isnull=False, cancelled_remaining__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"share of {self.household_id} in quota {self.quota_id}"

    @property
    def due(self) -> Decimal:
        return self.quantity - self.waived

    @property
    def remaining(self) -> Decimal:
        return max(self.due - self.done, Decimal("0"))

    @property
    def fulfilled(self) -> bool:
        return self.done >= self.due

    @property
    def cancelled(self) -> bool:
        """Left open when its issuer stopped the obligation: nothing more is asked of the household."""
        return self.cancelled_at is not None

    @property
    def percent(self) -> int:
        if self.due <= 0:
            return 100
        return min(100, int(self.done * 100 / self.due))


class Waiver(models.Model):
    """A household asks to be let off part of its share for hardship; an officer decides. An approved waiver
    is forgiven: the neighbours' shares do not grow."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    share = models.ForeignKey(Share, on_delete=models.PROTECT, related_name="waivers")
    quantity = models.DecimalField(**QUANTITY)
    reason = models.CharField(max_length=300, help_text=_("The hardship, in a sentence. No medical detail."))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    scope_area_lookup = "share__quota__unit"
    scope_household_lookup = "share__household"

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["share"], condition=Q(status="pending"), name="one_pending_waiver"),
            models.CheckConstraint(name="waiver_positive", condition=Q(quantity__gt=0)),
        ]

    def __str__(self) -> str:
        return f"waiver {self.pk} on share {self.share_id} ({self.status})"


class Session(models.Model):
    """A day and time when a unit turns out for a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="sessions")
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    place = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    scope_area_lookup = "unit"
    scope_household_lookup = None

    class Meta:
        ordering = ["on", "starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.campaign} {self.on} {self.starts_at:%H:%M}"

    @property
    def hours(self) -> Decimal:
        minutes = (self.ends_at.hour * 60 + self.ends_at.minute) - (self.starts_at.hour * 60 + self.starts_at.minute)
        return (Decimal(minutes) / 60).quantize(CENT)


class Attendance(models.Model):
    """A person worked at a session; the hours count towards their household's share."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendances")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="attendances")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    share = models.ForeignKey(Share, on_delete=models.PROTECT, related_name="attendances")
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    scope_area_lookup = "session__unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["session_id", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="one_attendance_per_person"),
            models.CheckConstraint(name="attendance_hours_positive", condition=Q(hours__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} at {self.session_id}: {self.hours} h"


class Delivery(models.Model):
    """Goods or cash a household handed over towards its share; partial deliveries accumulate. Each has a
    receipt number for the printable receipt."""

    share = models.ForeignKey(Share, on_delete=models.PROTECT, related_name="deliveries")
    quantity = models.DecimalField(**QUANTITY)
    measure = models.CharField(max_length=16, choices=Measure.choices)
    delivered_on = models.DateField()
    receiver = models.CharField(max_length=128, help_text=_("Who took the goods or cash."))
    receipt_number = models.CharField(max_length=32, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    scope_area_lookup = "share__quota__unit"
    scope_household_lookup = "share__household"

    class Meta:
        ordering = ["-delivered_on", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [models.CheckConstraint(name="delivery_positive", condition=Q(quantity__gt=0))]

    def __str__(self) -> str:
        return self.receipt_number
