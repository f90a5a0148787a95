"""Reads of stamps and signing keys, always restricted to the actor."""

import uuid
from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from inminban.areas.access import VIEW, restrict
from inminban.audit.services import access_record
from inminban.common.errors import NotVisible

from .models import SigningKey, Stamp


def stamps_visible(
    *,
    actor,
    household=None,
    duty_kind: str | None = None,
    duty_ref: str | None = None,
    revoked: bool | None = None,
) -> QuerySet[Stamp]:
    stamps = restrict(Stamp.objects.select_related("household", "person", "unit", "office", "signing_key"), actor, VIEW)
    if household is not None:
        stamps = stamps.filter(household=household)
    if duty_kind:
        stamps = stamps.filter(duty_kind=duty_kind)
    if duty_ref:
        stamps = stamps.filter(duty_ref=duty_ref)
    if revoked is not None:
        stamps = stamps.filter(revoked_at__isnull=not revoked)
    return stamps


def stamp_detail(*, actor, serial) -> Stamp:
    """One stamp by its public serial, noting the read of the household's record in the access log."""
    try:
        serial = serial if isinstance(serial, uuid.UUID) else uuid.UUID(str(serial))
        stamp = stamps_visible(actor=actor).get(serial=serial)
    except (ValueError, Stamp.DoesNotExist):
        raise NotVisible(f"stamp {serial} not found") from None
    access_record(actor=actor, household=stamp.household)
    return stamp


def signing_keys_visible(*, actor) -> QuerySet[SigningKey]:
    return restrict(SigningKey.objects.select_related("office"), actor, VIEW).filter(purpose=SigningKey.Purpose.STAMP)


def stamps_listed(
    *,
    actor,
    unit=None,
    status: str = "",
    duty_kind: str = "",
    duty: str = "",
    issued_from=None,
    issued_until=None,
) -> QuerySet[Stamp]:
    """The stamps list: the actor's stamps, newest first, filtered. `status` is "valid" (neither revoked nor
    expired), "revoked" or "expired"; `duty` matches a duty's title or reference; the dates are local days,
    `issued_until` included."""
    stamps = stamps_visible(actor=actor, duty_kind=duty_kind or None)
    if unit is not None:
        stamps = stamps.filter(unit=unit)
    now = timezone.now()
    if status == "valid":
        stamps = stamps.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    elif status == "revoked":
        stamps = stamps.filter(revoked_at__isnull=False)
    elif status == "expired":
        stamps = stamps.filter(revoked_at__isnull=True, expires_at__lte=now)
    duty = (duty or "").strip()
    if duty:
        stamps = stamps.filter(Q(duty_title__icontains=duty) | Q(duty_ref__iexact=duty))
    zone = timezone.get_current_timezone()
    if issued_from is not None:
        stamps = stamps.filter(issued_at__gte=datetime.combine(issued_from, time.min, tzinfo=zone))
    if issued_until is not None:
        stamps = stamps.filter(issued_at__lt=datetime.combine(issued_until + timedelta(days=1), time.min, tzinfo=zone))
    return stamps.order_by("-issued_at", "-id")
