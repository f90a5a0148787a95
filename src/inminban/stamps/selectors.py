"""Reads of stamps and signing keys, always restricted to the actor."""

import uuid

from django.db.models import QuerySet

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
