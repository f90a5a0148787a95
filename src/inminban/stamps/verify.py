"""Offline verification: a stamp text, the trust list, the status lists and the pinned root key are enough.

No database, no network. The same checks, in the same order and with the same reason codes, run in the browser
(templates/stamps/verify.js). A result names one reason from REASONS and says it in plain language.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import cose
from .codec import VOUCHER, Claims, StampFormatError, decode_claims, is_voucher_text, unwrap
from .trust import StatusList, TrustedKey, TrustError, TrustList, load_public_key, read_status_list, read_trust_list

# How far a stamp's issue time may lie ahead of the verifier's clock before it counts as future-dated.
CLOCK_SKEW = timedelta(minutes=5)


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (makemessages looks for this name). Not Django's: importing that would
    need configured settings, and this module runs without them."""
    return message


# English, as the API and the command line answer; in the catalogue, so the /verify/ page shows them in Korean.
REASONS = {
    "valid": gettext_noop("The stamp is valid."),
    "bad_prefix": gettext_noop("This is not an Inminban stamp or voucher: it does not start with INB1: or INBV1:."),
    "malformed": gettext_noop("The stamp text is damaged or incomplete and cannot be read."),
    "trust_list_invalid": gettext_noop(
        "The trust list cannot be used: it is missing, damaged or not signed by the pinned root key."
    ),
    "unknown_key": gettext_noop("The stamp was signed with a key that is not on the trust list."),
    "bad_signature": gettext_noop("The signature does not match: the stamp was altered after signing, or forged."),
    "kind_not_allowed": gettext_noop("The signing key may not sign stamps of this kind."),
    "key_not_valid_for_unit": gettext_noop(
        "Key not valid for this unit: the signing key's office does not govern the stamp's unit."
    ),
    "key_not_yet_valid": gettext_noop("The signing key is not valid yet."),
    "key_expired": gettext_noop("The signing key's validity has ended."),
    "not_yet_valid": gettext_noop("The stamp is dated in the future."),
    "status_unknown": gettext_noop(
        "The revocation status cannot be checked: there is no current status list for the signing key."
    ),
    "revoked": gettext_noop("The stamp was revoked by the issuing office."),
    "expired": gettext_noop("The stamp has expired."),
    "status_too_old": gettext_noop(
        "Status list too old: a revocation since it was issued would not show. Fetch current trust files."
    ),
}


@dataclass(slots=True)
class Result:
    ok: bool
    reason: str
    detail: str = ""
    claims: Claims | None = None
    key: TrustedKey | None = None
    status_version: int | None = None

    @property
    def message(self) -> str:
        return f"{REASONS[self.reason]} {self.detail}".strip()

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "message": self.message,
            "claims": self.claims.as_dict() if self.claims else None,
            "key": (
                {
                    "kid": self.key.kid,
                    "office": self.key.office,
                    "office_name": self.key.office_name,
                    "area": self.key.area,
                    "valid_from": self.key.valid_from.isoformat(),
                    "valid_until": self.key.valid_until.isoformat(),
                }
                if self.key
                else None
            ),
            "status_version": self.status_version,
        }


def _fail(reason: str, detail: str = "", **extra) -> Result:
    return Result(ok=False, reason=reason, detail=detail, **extra)


def _day(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


class Verifier:
    """Checks stamps against one set of trust documents. The documents are read and their root signatures checked
    once; each stamp then costs a Base45 decode, a CBOR decode and one Ed25519 verification.

    `unit_paths` (unit code -> path) replaces the trust list's unit table: the server passes one that reads the
    database. `max_status_age`: status lists older than this (at the time of the check) do not make a stamp valid;
    None for lists that are built when asked for (the server's)."""

    def __init__(
        self,
        *,
        trust_list: bytes | None,
        status_lists: Mapping[str, bytes],
        root_public_key: Ed25519PublicKey | bytes,
        unit_paths: Mapping[str, str] | None = None,
        max_status_age: timedelta | None = None,
    ):
        self._status_documents = status_lists
        self._unit_paths = unit_paths
        self.max_status_age = max_status_age
        self._status_cache: dict[str, StatusList | str] = {}
        self.trust: TrustList | None = None
        self.trust_error = ""
        try:
            self.root = (
                root_public_key if isinstance(root_public_key, Ed25519PublicKey) else load_public_key(root_public_key)
            )
            if trust_list is None:
                raise TrustError("no trust list was given")
            self.trust = read_trust_list(trust_list, self.root)
        except TrustError as exc:
            self.trust_error = str(exc)

    def status_list(self, kid: str) -> StatusList | str:
        """The checked status list for `kid`, or a string saying why there is none."""
        if kid not in self._status_cache:
            document = self._status_documents.get(kid)
            if document is None:
                self._status_cache[kid] = f"No status list for key {kid}."
            else:
                try:
                    self._status_cache[kid] = read_status_list(document, self.root, kid)
                except TrustError as exc:
                    self._status_cache[kid] = f"The status list for key {kid} is unusable: {exc}."
        return self._status_cache[kid]

    def unit_path(self, code: str) -> str | None:
        units = self._unit_paths if self._unit_paths is not None else self.trust.units
        return units.get(code)

    def verify(self, text: str, *, now: datetime | None = None) -> Result:
        now = now or datetime.now(UTC)
        try:
            message = cose.decode_sign1(unwrap(text))
        except StampFormatError as exc:
            return _fail(exc.reason, f"({exc.detail})")
        except cose.CoseError as exc:
            return _fail("malformed", f"({exc})")
        if self.trust is None:
            return _fail("trust_list_invalid", f"({self.trust_error})")
        kid = message.kid.hex()
        key = self.trust.keys.get(kid)
        if key is None:
            return _fail("unknown_key", f"Key id {kid}; the trust list is of {_day(self.trust.issued_at)}.")
        if not message.verify(key.public()):
            return _fail("bad_signature", key=key)
        try:
            claims = decode_claims(message.payload)
        except StampFormatError as exc:
            # Signed but unreadable: a bug in the issuer, not tampering; still not a stamp anyone can rely on.
            return _fail("malformed", f"({exc.detail})", key=key)
        found = {"claims": claims, "key": key}
        if is_voucher_text(text) != (claims.duty_kind == VOUCHER):
            # Signed claims under the wrong prefix: a stamp passed off as a voucher, or the other way round.
            what = "a voucher prefix on a stamp" if is_voucher_text(text) else "a stamp prefix on a voucher"
            return _fail("malformed", f"({what})", key=key)
        if claims.duty_kind not in key.kinds:
            return _fail(
                "kind_not_allowed", f"Key {kid} signs {', '.join(key.kinds)}, not {claims.duty_kind}.", **found
            )
        unit_path = self.unit_path(claims.unit)
        if not key.covers(unit_path):
            where = f"at {unit_path}" if unit_path else "not on the trust list"
            signs_for = f"units under {key.area}" if key.area else "no units"
            detail = f"Key {kid} of {key.office} signs for {signs_for}; unit {claims.unit} is {where}."
            return _fail("key_not_valid_for_unit", detail, **found)
        if now < key.valid_from:
            return _fail(
                "key_not_yet_valid", f"Key {kid} of {key.office} is valid from {_day(key.valid_from)}.", **found
            )
        if now >= key.valid_until:
            return _fail("key_expired", f"Key {kid} of {key.office} was valid until {_day(key.valid_until)}.", **found)
        if claims.issued_at > now + CLOCK_SKEW:
            return _fail("not_yet_valid", f"It says it was issued {_day(claims.issued_at)}.", **found)
        status = self.status_list(kid)
        if isinstance(status, str):
            return _fail("status_unknown", status, **found)
        if not status.covers(claims.status_index):
            return _fail(
                "status_unknown",
                f"The status list (version {status.version}, {_day(status.issued_at)}) is older than the stamp.",
                **found,
            )
        found["status_version"] = status.version
        if status.is_revoked(claims.status_index):
            return _fail("revoked", f"Status list version {status.version} of {_day(status.issued_at)}.", **found)
        if claims.expires_at is not None and now >= claims.expires_at:
            return _fail("expired", f"It was valid until {_day(claims.expires_at)}.", **found)
        if self.max_status_age is not None and now - status.issued_at > self.max_status_age:
            limit = self.max_status_age.total_seconds() / 86400
            return _fail(
                "status_too_old",
                f"The status list is of {_day(status.issued_at)}, older than the limit of {limit:g} days.",
                **found,
            )
        return Result(ok=True, reason="valid", **found)


def verify_stamp(
    text: str,
    *,
    trust_list: bytes | None,
    status_lists: Mapping[str, bytes],
    root_public_key: Ed25519PublicKey | bytes,
    now: datetime | None = None,
    max_status_age: timedelta | None = None,
) -> Result:
    """One-shot verification; use a Verifier to check many stamps against the same documents."""
    verifier = Verifier(
        trust_list=trust_list, status_lists=status_lists, root_public_key=root_public_key, max_status_age=max_status_age
    )
    return verifier.verify(text, now=now)
