"""The documents verifiers keep offline: the trust list and the per-key status lists, both signed by the root key.

Trust list (COSE_Sign1 by the root key), payload a CBOR map:
    {"type": "inminban-trust-list", "issued_at": epoch seconds,
     "keys": [{"kid": 8 bytes, "key": 32-byte Ed25519 public key, "office": code, "office_name": text,
               "area": path of the office's area, "valid_from": epoch seconds, "valid_until": epoch seconds,
               "kinds": [duty kinds]}],
     "units": {path of an area: [codes of the units directly under it]}}
A key is valid only for stamps of units under its office's area: a unit's path is its parent's path, its code and a
"/", and must start with the key's area path. The stamp names its unit by code; the signed "units" table, not the
stamp, says where that unit is, so an office cannot sign for a unit elsewhere by claiming another path for it.
Status list (COSE_Sign1 by the root key), one per signing key, payload:
    {"type": "inminban-status-list", "kid": 8 bytes, "version": revocation counter, "issued_at": epoch seconds,
     "size": number of status indexes issued so far, "bits": zlib(bitstring)}
Bit i of the bitstring (byte i // 8, most significant bit first) is set when the stamp with status index i is revoked.
Pure functions, no database.
"""

import hashlib
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import cose
from .codec import DUTY_KINDS, epoch_seconds, from_epoch_seconds

TRUST_LIST_TYPE = "inminban-trust-list"
STATUS_LIST_TYPE = "inminban-status-list"
MAX_STATUS_BITS = 1 << 26  # 64 million stamps per key before a verifier refuses the list as implausible


class TrustError(ValueError):
    """A trust list or status list that cannot be read or whose root signature does not hold."""


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid_of(public_key: Ed25519PublicKey) -> bytes:
    """The 8-byte key id: the first bytes of SHA-256 over the raw public key (as `inminban.common.keys.key_id`)."""
    return hashlib.sha256(raw_public_key(public_key)).digest()[:8]


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, or from 32 raw bytes, or from their 64 hex digits."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
        elif len(text) == 64:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.decode("ascii")))
        else:
            key = Ed25519PublicKey.from_public_bytes(data)  # raw bytes: never stripped, any byte may be a space
    except (ValueError, UnicodeDecodeError) as exc:
        raise TrustError(f"not an Ed25519 public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise TrustError("the key is not an Ed25519 public key")
    return key


@dataclass(frozen=True)
class TrustedKey:
    """One office signing key as the trust list publishes it."""

    kid: str  # 16 hex digits
    public_key: bytes
    office: str
    office_name: str
    valid_from: datetime
    valid_until: datetime
    kinds: tuple[str, ...] = DUTY_KINDS
    area: str = ""  # the materialised path of the office's area, e.g. "/KP/RG/HS/HS-A/"; empty covers nothing
    _loaded: list = field(default_factory=list, repr=False, compare=False)

    def covers(self, unit_path: str | None) -> bool:
        """Whether the unit at `unit_path` lies under this key's office."""
        return bool(self.area and unit_path and unit_path.startswith(self.area))

    def public(self) -> Ed25519PublicKey:
        if not self._loaded:  # parsed once; a verifier checks many stamps against the same key
            self._loaded.append(Ed25519PublicKey.from_public_bytes(self.public_key))
        return self._loaded[0]


@dataclass(frozen=True)
class TrustList:
    issued_at: datetime
    keys: dict[str, TrustedKey]
    root_kid: str
    units: dict[str, str] = field(default_factory=dict)  # unit code -> the unit's path


@dataclass(frozen=True)
class StatusList:
    kid: str
    version: int
    issued_at: datetime
    size: int
    bits: bytes

    def covers(self, index: int) -> bool:
        return 0 <= index < self.size

    def is_revoked(self, index: int) -> bool:
        return bool(self.bits[index // 8] & (0x80 >> (index % 8)))


def _units_by_parent(units: Mapping[str, str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for code, path in units.items():
        if not path.endswith(f"/{code}/"):
            raise ValueError(f"the path {path!r} of unit {code!r} does not end with its code")
        grouped.setdefault(path[: -len(code) - 1], []).append(code)
    return {parent: sorted(codes) for parent, codes in grouped.items()}


def build_trust_list(
    keys: Iterable[TrustedKey],
    *,
    issued_at: datetime,
    root_key: Ed25519PrivateKey,
    units: Mapping[str, str] | None = None,
) -> bytes:
    """The signed trust list; `units` maps each unit code to its path (see the module docstring)."""
    payload = {
        "type": TRUST_LIST_TYPE,
        "issued_at": epoch_seconds(issued_at),
        "keys": [
            {
                "kid": bytes.fromhex(key.kid),
                "key": key.public_key,
                "office": key.office,
                "office_name": key.office_name,
                "area": key.area,
                "valid_from": epoch_seconds(key.valid_from),
                "valid_until": epoch_seconds(key.valid_until),
                "kinds": list(key.kinds),
            }
            for key in sorted(keys, key=lambda k: k.kid)
        ],
        "units": _units_by_parent(units or {}),
    }
    return cose.sign1(cbor2.dumps(payload, canonical=True), root_key, kid_of(root_key.public_key()))


def pack_bits(size: int, revoked_indexes: Iterable[int]) -> bytes:
    bits = bytearray((size + 7) // 8)
    for index in revoked_indexes:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} outside 0..{size - 1}")
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def build_status_list(
    *, kid: str, version: int, size: int, revoked_indexes: Iterable[int], issued_at: datetime, root_key
) -> bytes:
    payload = {
        "type": STATUS_LIST_TYPE,
        "kid": bytes.fromhex(kid),
        "version": version,
        "issued_at": epoch_seconds(issued_at),
        "size": size,
        "bits": zlib.compress(pack_bits(size, revoked_indexes), 9),
    }
    return cose.sign1(cbor2.dumps(payload, canonical=True), root_key, kid_of(root_key.public_key()))


def _open_signed(data: bytes, root_public_key: Ed25519PublicKey, what: str, expected_type: str) -> dict:
    try:
        message = cose.decode_sign1(data)
    except cose.CoseError as exc:
        raise TrustError(f"the {what} is not a signed document: {exc}") from None
    if message.kid != kid_of(root_public_key):
        raise TrustError(f"the {what} is signed by root key {message.kid.hex()}, not the pinned root key")
    if not message.verify(root_public_key):
        raise TrustError(f"the {what}'s root signature does not match: it was altered")
    try:
        payload = cose.cbor_loads_strict(message.payload)
    except cose.CoseError as exc:
        raise TrustError(f"the {what} payload is {exc}") from None
    if not isinstance(payload, Mapping) or payload.get("type") != expected_type:
        raise TrustError(f"the document is not a {what}")
    return payload


def _expect(value, kind, what: str):
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TrustError(f"{what} has the wrong type")
    return value


def _area_path(value, what: str) -> str:
    path = _expect(value, str, what)
    if not (path.startswith("/") and path.endswith("/")):
        raise TrustError(f"{what} is not an area path")
    return path


def _read_units(value) -> dict[str, str]:
    units: dict[str, str] = {}
    for parent, codes in _expect(value, Mapping, "trust list units").items():
        parent = _area_path(parent, "a unit's parent")
        for code in _expect(codes, list | tuple, "unit codes"):
            code = _expect(code, str, "a unit code")
            if not code or "/" in code:
                raise TrustError("a unit code is empty or has a '/'")
            units[code] = f"{parent}{code}/"
    return units


def read_trust_list(data: bytes, root_public_key: Ed25519PublicKey) -> TrustList:
    """The trust list, after checking its root signature; TrustError otherwise."""
    payload = _open_signed(data, root_public_key, "trust list", TRUST_LIST_TYPE)
    keys: dict[str, TrustedKey] = {}
    try:
        for entry in _expect(payload.get("keys"), list | tuple, "trust list keys"):
            _expect(entry, Mapping, "a trust list entry")
            kid = _expect(entry.get("kid"), bytes, "kid").hex()
            public_key = _expect(entry.get("key"), bytes, "key")
            if len(public_key) != 32:
                raise TrustError(f"key {kid} is not a 32-byte Ed25519 key")
            keys[kid] = TrustedKey(
                kid=kid,
                public_key=public_key,
                office=_expect(entry.get("office"), str, "office"),
                office_name=_expect(entry.get("office_name"), str, "office name"),
                valid_from=from_epoch_seconds(_expect(entry.get("valid_from"), int, "valid from")),
                valid_until=from_epoch_seconds(_expect(entry.get("valid_until"), int, "valid until")),
                kinds=tuple(_expect(kind, str, "kind") for kind in _expect(entry.get("kinds"), list | tuple, "kinds")),
                area=_area_path(entry.get("area"), f"the area of key {kid}"),
            )
        units = _read_units(payload.get("units"))
        issued_at = from_epoch_seconds(_expect(payload.get("issued_at"), int, "issued at"))
    except (OverflowError, OSError, ValueError) as exc:
        if isinstance(exc, TrustError):
            raise
        raise TrustError(f"the trust list has a value out of range ({exc})") from None
    return TrustList(issued_at=issued_at, keys=keys, root_kid=kid_of(root_public_key).hex(), units=units)


def read_status_list(data: bytes, root_public_key: Ed25519PublicKey, kid: str) -> StatusList:
    """The status list for signing key `kid`, after checking its root signature; TrustError otherwise."""
    payload = _open_signed(data, root_public_key, "status list", STATUS_LIST_TYPE)
    listed_kid = _expect(payload.get("kid"), bytes, "kid").hex()
    if listed_kid != kid:
        raise TrustError(f"the status list is for key {listed_kid}, not {kid}")
    size = _expect(payload.get("size"), int, "size")
    if not 0 <= size <= MAX_STATUS_BITS:
        raise TrustError("the status list size is implausible")
    inflater = zlib.decompressobj()
    try:
        bits = inflater.decompress(_expect(payload.get("bits"), bytes, "bits"), (size + 7) // 8 + 1)
    except zlib.error:
        raise TrustError("the status list bits are damaged") from None
    if len(bits) != (size + 7) // 8 or not inflater.eof:
        raise TrustError("the status list bits do not match its size")
    try:
        issued_at = from_epoch_seconds(_expect(payload.get("issued_at"), int, "issued at"))
    except (OverflowError, OSError, ValueError):
        raise TrustError("the status list issue time is out of range") from None
    return StatusList(
        kid=kid,
        version=_expect(payload.get("version"), int, "version"),
        issued_at=issued_at,
        size=size,
        bits=bits,
    )
