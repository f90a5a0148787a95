"""Integrity flags: patterns of bribery and self-dealing in the records, made visible to the office above the unit
and to auditors. Rules are data; the scan is set-based; a flag concerns how a leader kept the records, never what
anyone thinks, and goes to no one outside the administration."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inminban.areas.models import Area, Office


class Pattern(models.TextChoices):
    STAY_UNREGISTERED = "stay_unregistered", _("Guest seen at a health check with no registered stay")
    LEADER_OWN_ATTENDANCE = "leader_own_attendance", _("Leader recorded attendance for their own household")
    LEADER_OWN_CONFIRMATION = "leader_own_confirmation", _("Leader confirmed a duty of their own household")
    STAMP_UNFULFILLED = "stamp_unfulfilled", _("Stamp without the attendance or deliveries that fulfil it")
    BULK_ATTENDANCE = "bulk_attendance", _("Whole households' attendance recorded in one go")
    LATE_ATTENDANCE = "late_attendance", _("Attendance recorded long after the session")
    WAIVER_RATE = "waiver_rate", _("Waivers and exemptions far above the district's rate")
    MEMBERS_BEFORE_CYCLE = "members_before_cycle", _("Members added by the leader just before a ration cycle")


class DetectionRule(models.Model):
    """Whether a pattern is looked for, and its thresholds, for an office's subtree. An office without its own row
    for a pattern works by the nearest office above that has one, else by the deployment's defaults (rules.py).
    `threshold` and `min_count` mean what the pattern says (days, a ratio, a share of households)."""

    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    pattern = models.CharField(max_length=32, choices=Pattern.choices)
    enabled = models.BooleanField(default=True)
    threshold = models.DecimalField(max_digits=8, decimal_places=2)
    min_count = models.PositiveIntegerField(default=1)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()

    scope_area_lookup = "office__area"

    class Meta:
        ordering = ["office_id", "pattern"]
        constraints = [
            models.UniqueConstraint(fields=["office", "pattern"], name="one_rule_per_office_pattern"),
            models.UniqueConstraint(
                fields=["pattern"], condition=Q(office__isnull=True), name="one_default_rule_per_pattern"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pattern} @ office {self.office_id}"


class Flag(models.Model):
    """One occurrence of a pattern in a unit. `key` names the records it was raised on (e.g. "healthcheck:12"), so
    a scan never raises the same flag twice, whatever its status. `evidence` lists those records as
    {"type": ..., "id": ...} and `facts` the numbers behind the flag; neither holds a guest's or a resident's name."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        EXPLAINED = "explained", _("Explained by the leader")
        DISMISSED = "dismissed", _("Dismissed")
        UPHELD = "upheld", _("Upheld")

    pattern = models.CharField(max_length=32, choices=Pattern.choices)
    key = models.CharField(max_length=128)
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+", help_text=_("Who decides."))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The leader whose records raised the flag, who may answer it."),
    )
    occurred_on = models.DateField(help_text=_("The day of the records the flag is about."))
    evidence = models.JSONField(default=list)
    facts = models.JSONField(default=dict)
    raised_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    explanation = models.TextField(blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    explained_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    scope_area_lookup = "unit"

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "status"], name="flag_unit_status_idx"),
            models.Index(fields=["leader", "status"], name="flag_leader_status_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["pattern", "key"], name="flag_raised_once")]

    def __str__(self) -> str:
        return f"flag {self.pk} ({self.pattern})"
