"""Every write about stamps: issuing, revoking, and the office keys. Permission first, then validation, then the
change, then the audit entry, in one transaction."""

import os
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from inminban.areas.access import CHANGE, MANAGE_AREAS, require
from inminban.areas.models import Area, Office
from inminban.audit.services import audit_record
from inminban.common.errors import DomainError

from . import codec, keyfiles
from .models import SigningKey, Stamp
from .trust import kid_of, raw_public_key

# How long an office key stays valid for verification after it is made; rotation only stops it signing earlier.
KEY_VALIDITY = timedelta(days=int(os.environ.get("INMINBAN_STAMP_KEY_DAYS", 5 * 365)))
# A key stops signing this long before its validity ends (a new one takes over): a year, or a fifth of a short life.
SIGNING_MARGIN = min(timedelta(days=365), KEY_VALIDITY / 5)
ROOT_KEY_VALIDITY = timedelta(days=int(os.environ.get("INMINBAN_STAMP_ROOT_KEY_DAYS", 20 * 365)))
KINDS_NEEDING_QUANTITY = {Stamp.DutyKind.LABOUR, Stamp.DutyKind.LEVY}
EARLIEST_PERIOD = date(1990, 1, 1)


def _now() -> datetime:
    # Whole seconds: the stamp carries epoch seconds, and the database should say exactly what was signed.
    return timezone.now().replace(microsecond=0)


def _key_snapshot(key: SigningKey) -> dict:
    return {
        "kid": key.kid,
        "purpose": key.purpose,
        "office": key.office_id,
        "public_key": key.public_key,
        "valid_from": key.valid_from,
        "valid_until": key.valid_until,
        "retired_at": key.retired_at,
    }


# Keys ----------------------------------------------------------------------------------------------------------


def root_key_ensure() -> SigningKey:
    """The root key that signs the trust list and status lists, registered (and generated) on first use.

    Public pages call this on every request, so the usual case is a plain read that takes no write lock."""
    key = SigningKey.objects.filter(purpose=SigningKey.Purpose.ROOT, retired_at=None).first()
    if key is not None:
        return key
    try:
        return _root_key_create()
    except IntegrityError:  # another request registered it first
        return SigningKey.objects.get(purpose=SigningKey.Purpose.ROOT, retired_at=None)


@transaction.atomic
def _root_key_create() -> SigningKey:
    private_key = keyfiles.load_root_key()
    now = _now()
    key = SigningKey(
        kid=kid_of(private_key.public_key()).hex(),
        purpose=SigningKey.Purpose.ROOT,
        office=None,
        key_name=keyfiles.ROOT_KEY_NAME,
        public_key=raw_public_key(private_key.public_key()).hex(),
        kinds="",
        created_at=now,
        valid_from=now,
        valid_until=now + ROOT_KEY_VALIDITY,
    )
    key.save()  # no full_clean: its unique checks would race; the database's constraints decide
    audit_record(actor=None, action="stamp.root_key_create", target=key, after=_key_snapshot(key))
    return key


def _create_office_key(*, actor, office: Office, now: datetime) -> SigningKey:
    name, private_key = keyfiles.new_office_key(office.code)
    key = SigningKey(
        kid=kid_of(private_key.public_key()).hex(),
        purpose=SigningKey.Purpose.STAMP,
        office=office,
        key_name=name,
        public_key=raw_public_key(private_key.public_key()).hex(),
        created_at=now,
        valid_from=now,
        valid_until=now + KEY_VALIDITY,
    )
    key.full_clean()
    key.save()
    audit_record(actor=actor, action="stamp.key_create", target=key, area=office.area, after=_key_snapshot(key))
    return key


def _locked_current_key(office: Office) -> SigningKey | None:
    Office.objects.select_for_update().filter(pk=office.pk).first()  # one key change per office at a time
    return (
        SigningKey.objects.select_for_update()
        .filter(office=office, purpose=SigningKey.Purpose.STAMP, retired_at=None)
        .first()
    )


def _retire(*, actor, key: SigningKey, now: datetime) -> None:
    before = _key_snapshot(key)
    key.retired_at = now
    key.save(update_fields=["retired_at"])
    audit_record(
        actor=actor,
        action="stamp.key_retire",
        target=key,
        area=key.office.area,
        before=before,
        after=_key_snapshot(key),
    )


def _current_key(*, actor, office: Office) -> SigningKey:
    """The office's signing key, locked for this transaction: made on first use, and replaced once it is within
    SIGNING_MARGIN of its end, so that every stamp stays verifiable for at least that long."""
    now = _now()
    key = _locked_current_key(office)
    if key is not None and key.valid_until <= now + SIGNING_MARGIN:
        _retire(actor=actor, key=key, now=now)
        key = None
    if key is None:
        key = _create_office_key(actor=actor, office=office, now=now)
    return key


@transaction.atomic
def signing_key_rotate(*, actor: User | None, office: Office) -> SigningKey:
    """Make a new current key for `office`. The old key stops signing but stays on the trust list, and its stamps
    keep verifying, until its own `valid_until`. `actor=None` is the operator at the console."""
    if actor is not None:
        require(actor, MANAGE_AREAS, office.area)
    now = _now()
    old = _locked_current_key(office)
    if old is not None:
        _retire(actor=actor, key=old, now=now)
    return _create_office_key(actor=actor, office=office, now=now)


def issuing_office(unit: Area) -> Office:
    """The office of the nearest area above (or at) the unit that has one; DomainError if none governs it."""
    parts = [part for part in unit.path.split("/") if part]
    prefixes = ["/" + "/".join(parts[: depth + 1]) + "/" for depth in range(len(parts))]
    office = (
        Office.objects.select_related("area").filter(area__path__in=prefixes).order_by("-area__depth", "code").first()
    )
    if office is None:
        raise DomainError("household", f"No office governs unit {unit.code}, so nobody can sign its stamps.")
    return office


# Stamps --------------------------------------------------------------------------------------------------------


def _text(field: str, value, *, max_length: int, required: bool = True) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(field, "Text is required.")
    value = (value or "").strip()
    if required and not value:
        raise DomainError(field, "This field is required.")
    if len(value) > max_length:
        raise DomainError(field, "At most %(count)s characters.", params={"count": max_length})
    return value


def _quantity(value, duty_kind: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise DomainError("quantity", "A number is required.")
    try:
        quantity = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise DomainError("quantity", "A number is required.") from None
    if not quantity.is_finite():
        raise DomainError("quantity", "A number is required.")
    if quantity < 0:
        raise DomainError("quantity", "The quantity cannot be negative.")
    if duty_kind in KINDS_NEEDING_QUANTITY and quantity == 0:
        raise DomainError("quantity", "A fulfilled share has a quantity above zero.")
    if quantity >= Decimal("1e9"):
        raise DomainError("quantity", "The quantity is too large.")
    if quantity != quantity.quantize(Decimal("0.001")):
        raise DomainError("quantity", "At most three decimal places.")
    quantity = quantity.quantize(Decimal("0.001"))
    return quantity


def _period(period_start, period_end) -> None:
    for field, value in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise DomainError(field, "A date is required (YYYY-MM-DD).")
        if value < EARLIEST_PERIOD:
            raise DomainError(field, f"The date is before {EARLIEST_PERIOD.year}.")
    if period_end < period_start:
        raise DomainError("period_end", "The period cannot end before it starts.")


STAMP_AUDIT_FIELDS = (
    "household",
    "person",
    "duty_kind",
    "duty_ref",
    "duty_title",
    "quantity",
    "measure",
    "period_start",
    "period_end",
    "unit",
    "office",
    "issued_at",
    "expires_at",
    "signing_key",
    "status_index",
)


@transaction.atomic
def stamp_issue(
    *,
    actor: User,
    household,
    duty_kind: str,
    duty_ref: str,
    duty_title: str,
    quantity,
    measure: str,
    period_start: date,
    period_end: date,
    person=None,
    expires_at: datetime | None = None,
) -> Stamp:
    """Confirm that `household` (or `person`, one of its members) fulfilled a duty, and issue the signed stamp.

    The issuing office is the one governing the household's unit; its current key signs (made on first use)."""
    require(actor, CHANGE, household.unit)
    return signed_stamp_create(
        actor=actor,
        office=issuing_office(household.unit),
        household=household,
        duty_kind=duty_kind,
        duty_ref=duty_ref,
        duty_title=duty_title,
        quantity=quantity,
        measure=measure,
        period_start=period_start,
        period_end=period_end,
        person=person,
        expires_at=expires_at,
    )


def signed_stamp_create(
    *,
    actor: User,
    office: Office,
    household,
    duty_kind: str,
    duty_ref: str,
    duty_title: str,
    quantity,
    measure: str,
    period_start: date,
    period_end: date,
    person=None,
    expires_at: datetime | None = None,
) -> Stamp:
    """Write and sign a stamp with `office`'s current key, audited. The caller has checked the actor's permission
    (`stamp_issue` for duties; the clearance service for clearances) and runs inside its transaction."""
    if duty_kind not in Stamp.DutyKind.values:
        raise DomainError("duty_kind", f"One of: {', '.join(Stamp.DutyKind.values)}.")
    duty_ref = _text("duty_ref", duty_ref, max_length=64)
    duty_title = _text("duty_title", duty_title, max_length=120)
    quantity = _quantity(quantity, duty_kind)
    measure = _text("measure", measure, max_length=32, required=duty_kind in KINDS_NEEDING_QUANTITY)
    _period(period_start, period_end)
    if household.dissolved_on is not None:
        raise DomainError("household", "The household is dissolved.")
    if person is not None and person.household_id != household.pk:
        raise DomainError("person", "The person is not a member of this household.")
    if not household.unit.path.startswith(office.area.path):
        raise DomainError("household", f"Office {office.code} does not govern unit {household.unit.code}.")
    now = _now()
    if expires_at is not None:
        if not isinstance(expires_at, datetime) or timezone.is_naive(expires_at):
            raise DomainError("expires_at", "A date and time with a time zone is required.")
        expires_at = expires_at.replace(microsecond=0)
        if expires_at <= now:
            raise DomainError("expires_at", "The stamp would expire before it is issued.")
    key = _current_key(actor=actor, office=office)
    private_key = keyfiles.load_existing_key(key.key_name, expected_kid=key.kid)
    status_index = key.next_status_index
    key.next_status_index += 1
    key.save(update_fields=["next_status_index"])

    stamp = Stamp(
        household=household,
        person=person,
        duty_kind=duty_kind,
        duty_ref=duty_ref,
        duty_title=duty_title,
        quantity=quantity,
        measure=measure,
        period_start=period_start,
        period_end=period_end,
        unit=household.unit,
        office=office,
        issued_at=now,
        issued_by=actor if getattr(actor, "pk", None) else None,
        expires_at=expires_at,
        signing_key=key,
        status_index=status_index,
    )
    stamp.encoded = codec.encode_stamp(stamp_claims(stamp), private_key, bytes.fromhex(key.kid))
    stamp.full_clean()
    stamp.save()
    after = {name: getattr(stamp, stamp._meta.get_field(name).attname) for name in STAMP_AUDIT_FIELDS}
    after["serial"] = stamp.serial
    audit_record(
        actor=actor, action="stamp.issue", target=stamp, area=stamp.unit, household_id=household.pk, after=after
    )
    return stamp


def office_signing_key(*, actor, office: Office) -> SigningKey:
    """The office's current signing key, locked for the caller's transaction (made on first use). For writers of
    stamps in bulk (a cycle's vouchers), which reserve a block of status indexes on it and sign on first use."""
    return _current_key(actor=actor, office=office)


def stamp_encoded(stamp: Stamp) -> str:
    """The signed text of `stamp`, as its QR code, PDF, page and API show it.

    Stamps written in bulk (the synthetic generator's) are stored unsigned, with `encoded` empty: signing millions
    at once would take longer than the rest of the load. The first time one is shown, it is signed here exactly as
    `stamp_issue` signs (its claims, the key that `signing_key` names), and kept. Ed25519 signatures are
    deterministic, so the text is the one `stamp_issue` would have produced. Not audited: nothing the stamp says
    changes, and the signing key and status index were recorded when it was issued."""
    if stamp.encoded:
        return stamp.encoded
    key = stamp.signing_key
    private_key = keyfiles.load_existing_key(key.key_name, expected_kid=key.kid)
    text = codec.encode_stamp(stamp_claims(stamp), private_key, bytes.fromhex(key.kid))
    # Two readers signing at once compute the same text; whichever update lands first, the row holds it.
    Stamp.objects.filter(pk=stamp.pk, encoded="").update(encoded=text)
    stamp.encoded = text
    return text


def stamp_claims(stamp: Stamp) -> codec.Claims:
    """What the stamp's signature covers, from its row."""
    return codec.Claims(
        serial=stamp.serial,
        issued_at=stamp.issued_at,
        expires_at=stamp.expires_at,
        household=stamp.household.number,
        person=stamp.person_id,
        duty_kind=stamp.duty_kind,
        duty_ref=stamp.duty_ref,
        duty_title=stamp.duty_title,
        quantity=stamp.quantity,
        measure=stamp.measure,
        period_start=stamp.period_start,
        period_end=stamp.period_end,
        unit=stamp.unit.code,
        status_index=stamp.status_index,
    )


@transaction.atomic
def stamp_revoke(*, actor: User, stamp: Stamp, reason: str) -> Stamp:
    """Revoke a stamp (officers and administrators): its bit is set in the key's next status list."""
    require(actor, MANAGE_AREAS, stamp.unit)
    reason = _text("reason", reason, max_length=255)
    stamp = Stamp.objects.select_for_update().get(pk=stamp.pk)
    if stamp.revoked_at is not None:
        raise DomainError(
            "stamp",
            "The stamp was already revoked on %(day)s.",
            params={"day": timezone.localdate(stamp.revoked_at).isoformat()},
        )
    key = SigningKey.objects.select_for_update().get(pk=stamp.signing_key_id)
    key.status_version += 1
    key.save(update_fields=["status_version"])
    stamp.revoked_at = _now()
    stamp.revoked_reason = reason
    stamp.revoked_by = actor
    stamp.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    audit_record(
        actor=actor,
        action="stamp.revoke",
        target=stamp,
        area=stamp.unit,
        household_id=stamp.household_id,
        before={"revoked_at": None},
        after={
            "revoked_at": stamp.revoked_at,
            "revoked_reason": reason,
            "signing_key": key.kid,
            "status_version": key.status_version,
        },
    )
    return stamp
