from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One write, appended in the same transaction as the change. Hash-chained: `hash` covers `prev_hash` and
    a canonical encoding of the entry, so altering or deleting any row breaks the chain from there on."""

    seq = models.BigIntegerField(unique=True, help_text="1, 2, 3 … with no gaps; assigned under the append lock.")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=255, blank=True)
    area_path = models.CharField(max_length=512, blank=True, help_text="Where the change happened, for scoping.")
    household_id = models.BigIntegerField(null=True, blank=True, help_text="The household the change concerns.")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    origin = models.JSONField(default=dict, help_text="Request origin: address, user agent, channel, request id.")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    scope_area_lookup = None  # scoped by area_path directly; see selectors

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["area_path"], name="audit_area_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["household_id", "seq"], name="audit_household_idx"),
            models.Index(fields=["actor", "seq"], name="audit_actor_idx"),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"


class AuditCheckpoint(models.Model):
    """A signed RFC 6962 Merkle root over entries 1..size (a C2SP tlog-checkpoint). Outside offices keep copies; a
    later rewrite of any covered entry, or the deletion of any, no longer matches them."""

    size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    # The checkpoint as a C2SP signed note (what /audit/checkpoint serves); empty on checkpoints made before notes.
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["size"]

    def __str__(self) -> str:
        return f"checkpoint at {self.size}"


class AccessLogEntry(models.Model):
    """A read of a person's or household's record: who looked at whom, when, through which channel, and which
    record (the registry record, or restricted health data)."""

    class Record(models.TextChoices):
        REGISTRY = "registry", _("registry record")
        HEALTH_CHECK = "health_check", _("health check")

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=16)
    origin = models.JSONField(default=dict)
    record = models.CharField(max_length=16, choices=Record.choices, default=Record.REGISTRY)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["household", "at"], name="access_household_idx"),
            models.Index(fields=["person", "at"], name="access_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} read {self.person_id or self.household_id}"
