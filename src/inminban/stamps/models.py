"""Signed confirmation stamps and the office keys that sign them.

Private keys never enter the database: a SigningKey row names a key file in the keys directory
(`inminban.common.keys`) and carries the public half, which the trust list publishes."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inminban.areas.models import Area, Office


class SigningKey(models.Model):
    """An Ed25519 key: an office's stamp key (one current per office; retired keys still verify until
    `valid_until`), or the root key that signs the trust list and the status lists."""

    class Purpose(models.TextChoices):
        STAMP = "stamp", _("Stamp signing")
        ROOT = "root", _("Trust list root")

    kid = models.CharField(max_length=16, unique=True, help_text=_("Key id: 16 hex digits of SHA-256(public key)."))
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.STAMP)
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="signing_keys")
    key_name = models.CharField(max_length=128, unique=True, help_text=_("File name of the private key."))
    public_key = models.CharField(max_length=64, help_text=_("Raw Ed25519 public key, hex."))
    kinds = models.CharField(
        max_length=64,
        blank=True,
        default="labour,levy,directive,voucher,clearance",
        help_text=_("Kinds of stamps it signs."),
    )
    created_at = models.DateTimeField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True, help_text=_("When it stopped signing."))
    next_status_index = models.PositiveIntegerField(default=0)
    status_version = models.PositiveIntegerField(default=0, help_text=_("Grows with every revocation."))

    scope_area_lookup = "office__area"
    scope_household_lookup = None

    class Meta:
        ordering = ["office_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["office"],
                condition=Q(retired_at__isnull=True, purpose="stamp"),
                name="one_current_stamp_key_per_office",
            ),
            models.UniqueConstraint(
                fields=["purpose"], condition=Q(retired_at__isnull=True, purpose="root"), name="one_current_root_key"
            ),
            models.CheckConstraint(
                name="stamp_key_has_office", condition=~Q(purpose="stamp") | Q(office__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} key {self.kid}"

    @property
    def kind_list(self) -> tuple[str, ...]:
        return tuple(kind for kind in self.kinds.split(",") if kind)


class StampQuerySet(models.QuerySet):
    def not_revoked(self) -> "StampQuerySet":
        return self.filter(revoked_at__isnull=True)


class Stamp(models.Model):
    """A signed certificate that a household (or one of its members) fulfilled a share of a campaign or levy,
    or acknowledged a directive. `encoded` is the signed text the QR code carries."""

    class DutyKind(models.TextChoices):
        LABOUR = "labour", _("Labour campaign")
        LEVY = "levy", _("Levy")
        DIRECTIVE = "directive", _("Directive")
        VOUCHER = "voucher", _("Ration voucher")
        CLEARANCE = "clearance", _("Clearance")

    serial = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed by stamp_household_kind_idx (household, duty_kind).
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="stamps", db_index=False)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="stamps"
    )
    duty_kind = models.CharField(max_length=16, choices=DutyKind.choices)
    duty_ref = models.CharField(max_length=64, help_text=_("Which duty, e.g. campaign:12/share:40."))
    duty_title = models.CharField(max_length=120)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    measure = models.CharField(max_length=32, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    unit = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="stamps")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="stamps")
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    # Indexed by one_stamp_per_status_index (signing_key, status_index).
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="stamps", db_index=False)
    status_index = models.PositiveIntegerField()
    encoded = models.TextField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=255, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = StampQuerySet.as_manager()

    scope_area_lookup = "unit"
    scope_household_lookup = "household"

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["household", "duty_kind"], name="stamp_household_kind_idx"),
            models.Index(fields=["duty_kind", "duty_ref"], name="stamp_duty_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["signing_key", "status_index"], name="one_stamp_per_status_index"),
            models.CheckConstraint(name="stamp_period_ordered", condition=Q(period_end__gte=models.F("period_start"))),
            models.CheckConstraint(name="stamp_quantity_not_negative", condition=Q(quantity__gte=0)),
        ]

    def __str__(self) -> str:
        return f"stamp {self.serial}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def quantity_text(self) -> str:
        """The quantity without trailing zeros: "8", "2.5"."""
        return format(self.quantity.normalize(), "f")
