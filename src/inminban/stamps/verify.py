"""Offline verification: a stamp text, the trust list, the status lists and the pinned root key are enough.

No database, no network. The same checks, in the same order and with the same reason codes, run in the browser
(templates/stamps/verify.js). A result names one reason from REASONS and says it in plain language.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import cose
from .codec import Claims, StampFormatError, decode_claims, unwrap
from .trust import StatusList, TrustedKey, TrustError, TrustList, load_public_key, read_status_list, read_trust_list

# How far a stamp's issue time may lie ahead of the verifier's clock before it counts as future-dated.
CLOCK_SKEW = timedelta(minutes=5)

REASONS = {
    "valid": "The stamp is valid.",
    "bad_prefix": "This is not an Inminban stamp: it does not start with INB1: or INB1Z:.",
    "malformed": "The stamp text is damaged or incomplete and cannot be read.",
    "trust_list_invalid": "The trust list cannot be used: it is missing, damaged or not signed by the pinned root key.",
    "unknown_key": "The stamp was signed with a key that is not on the trust list.",
    "bad_signature": "The signature does not match: the stamp was altered after signing, or forged.",
    "kind_not_allowed": "The signing key may not sign stamps of this kind.",
    "key_not_yet_valid": "The signing key is not valid yet.",
    "key_expired": "The signing key's validity has ended.",
    "not_yet_valid": "The stamp is dated in the future.",
    "status_unknown": "The revocation status cannot be checked: there is no current status list for the signing key.",
    "revoked": "The stamp was revoked by the issuing office.",
    "expired": "The stamp has expired.",
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
    once; each stamp then costs a Base45 decode, a CBOR decode and one Ed25519 verification."""

    def __init__(
        self,
        *,
        trust_list: bytes | None,
        status_lists: Mapping[str, bytes],
        root_public_key: Ed25519PublicKey | bytes,
    ):
        self._status_documents = status_lists
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
        if claims.duty_kind not in key.kinds:
            return _fail(
                "kind_not_allowed", f"Key {kid} signs {', '.join(key.kinds)}, not {claims.duty_kind}.", **found
            )
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
        return Result(ok=True, reason="valid", **found)


def verify_stamp(
    text: str,
    *,
    trust_list: bytes | None,
    status_lists: Mapping[str, bytes],
    root_public_key: Ed25519PublicKey | bytes,
    now: datetime | None = None,
) -> Result:
    """One-shot verification; use a Verifier to check many stamps against the same documents."""
    verifier = Verifier(trust_list=trust_list, status_lists=status_lists, root_public_key=root_public_key)
    return verifier.verify(text, now=now)
