"""The stamp's compact encoding: CBOR claims in a COSE_Sign1, Base45, a version prefix (as the EU DCC does).

    INB1:<base45 of the COSE_Sign1>        plain
    INB1Z:<base45 of zlib(COSE_Sign1)>     compressed, used only when that is shorter
    INBV1: / INBV1Z:                       the same for a ration voucher (kind "voucher"): a voucher is not a
                                           stamp, and a counter must never take a stamp for one or the other way

Claims are a CBOR map with small integer keys, to keep the QR code small. Personal data is kept to the household
number and, for a stamp earned by one person, a short person reference (the registry number, not the name).
Pure functions, no database.
"""

import functools
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import cose

VERSION = 1
PREFIX = "INB1"
PREFIX_COMPRESSED = "INB1Z"
VOUCHER_PREFIX = "INBV1"
VOUCHER_PREFIX_COMPRESSED = "INBV1Z"
KNOWN_PREFIXES = (PREFIX, PREFIX_COMPRESSED, VOUCHER_PREFIX, VOUCHER_PREFIX_COMPRESSED)
VOUCHER_PREFIXES = (VOUCHER_PREFIX, VOUCHER_PREFIX_COMPRESSED)
MAX_TEXT_LENGTH = 4000  # a QR code holds at most 4296 alphanumeric characters
# UTF-8 bytes of the duty title carried in the stamp (12 Hangul or 36 Latin letters): enough to recognise the duty,
# small enough that every stamp stays under 300 Base45 characters. The full title stays in the database.
TITLE_BYTES_IN_STAMP = 36


def clip_title(title: str) -> str:
    """The longest prefix of `title` that fits TITLE_BYTES_IN_STAMP bytes, cut between characters."""
    return title.encode()[:TITLE_BYTES_IN_STAMP].decode(errors="ignore")


# Never reorder: the kind travels as its position. A voucher (a household's ration for one cycle) and a clearance (a
# person's school or enlistment clearance) are signed with the same keys and checked the same way as duty stamps.
DUTY_KINDS = ("labour", "levy", "directive", "voucher", "clearance")
VOUCHER = "voucher"
_KIND_CODES = {kind: index + 1 for index, kind in enumerate(DUTY_KINDS)}
_KIND_NAMES = {code: kind for kind, code in _KIND_CODES.items()}

# Claim keys. Never renumber: printed stamps carry them.
K_VERSION = 1
K_SERIAL = 2
K_ISSUED_AT = 3
K_EXPIRES_AT = 4
K_HOUSEHOLD = 5
K_PERSON = 6
K_DUTY_KIND = 7
K_DUTY_REF = 8
K_DUTY_TITLE = 9
K_QUANTITY = 10
K_MEASURE = 11
K_PERIOD_START = 12
K_PERIOD_END = 13
K_UNIT = 14
K_STATUS_INDEX = 16

EPOCH_DAY = date(1970, 1, 1)


class StampFormatError(ValueError):
    """The text is not a stamp we can read. `reason` is `bad_prefix` or `malformed`."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Claims:
    """What a stamp certifies."""

    serial: uuid.UUID
    issued_at: datetime
    household: str
    duty_kind: str
    duty_ref: str
    duty_title: str
    quantity: Decimal
    measure: str
    period_start: date
    period_end: date
    unit: str
    status_index: int
    person: int | None = None
    expires_at: datetime | None = None
    version: int = VERSION

    def as_dict(self) -> dict:
        """JSON-friendly claims, for the API, the CLI and the browser verifier."""
        return {
            "version": self.version,
            "serial": str(self.serial),
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "household": self.household,
            "person": self.person,
            "duty_kind": self.duty_kind,
            "duty_ref": self.duty_ref,
            "duty_title": self.duty_title,
            "quantity": str(self.quantity),
            "measure": self.measure,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "unit": self.unit,
            "status_index": self.status_index,
        }


def epoch_seconds(value: datetime) -> int:
    return int(value.timestamp())


def from_epoch_seconds(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def _quantity_value(quantity: Decimal) -> int | Decimal:
    # An integral quantity is a plain CBOR integer; otherwise a decimal fraction (tag 4, RFC 8949 §3.4.4).
    quantity = Decimal(quantity)
    if quantity == quantity.to_integral_value():
        return int(quantity)
    return quantity.normalize()


def claims_to_map(claims: Claims) -> dict:
    values = {
        K_VERSION: claims.version,
        K_SERIAL: claims.serial.bytes,
        K_ISSUED_AT: epoch_seconds(claims.issued_at),
        K_HOUSEHOLD: claims.household,
        K_DUTY_KIND: _KIND_CODES[claims.duty_kind],
        K_DUTY_REF: claims.duty_ref,
        K_DUTY_TITLE: clip_title(claims.duty_title),
        K_QUANTITY: _quantity_value(claims.quantity),
        K_PERIOD_START: (claims.period_start - EPOCH_DAY).days,
        K_PERIOD_END: (claims.period_end - EPOCH_DAY).days,
        K_UNIT: claims.unit,
        K_STATUS_INDEX: claims.status_index,
    }
    if claims.expires_at is not None:
        values[K_EXPIRES_AT] = epoch_seconds(claims.expires_at)
    if claims.person is not None:
        values[K_PERSON] = claims.person
    if claims.measure:
        values[K_MEASURE] = claims.measure
    return dict(sorted(values.items()))


_REQUIRED = {
    K_VERSION: int,
    K_SERIAL: bytes,
    K_ISSUED_AT: int,
    K_HOUSEHOLD: str,
    K_DUTY_KIND: int,
    K_DUTY_REF: str,
    K_DUTY_TITLE: str,
    K_PERIOD_START: int,
    K_PERIOD_END: int,
    K_UNIT: str,
    K_STATUS_INDEX: int,
}
_OPTIONAL = {K_EXPIRES_AT: int, K_PERSON: int, K_MEASURE: str}
_NAMES = {
    K_VERSION: "version",
    K_SERIAL: "serial",
    K_ISSUED_AT: "issued at",
    K_EXPIRES_AT: "expires at",
    K_HOUSEHOLD: "household",
    K_PERSON: "person",
    K_DUTY_KIND: "duty kind",
    K_DUTY_REF: "duty ref",
    K_DUTY_TITLE: "duty title",
    K_QUANTITY: "quantity",
    K_MEASURE: "measure",
    K_PERIOD_START: "period start",
    K_PERIOD_END: "period end",
    K_UNIT: "unit",
    K_STATUS_INDEX: "status index",
}


def _malformed(key: int, problem: str) -> StampFormatError:
    return StampFormatError("malformed", f"the claim {_NAMES[key]!r} {problem}")


def claims_from_map(values) -> Claims:
    """Claims from the decoded CBOR map; StampFormatError("malformed") if anything is missing or mistyped.

    Written for speed (exact type checks in one loop): it runs once per verified stamp."""
    if not isinstance(values, Mapping):
        raise StampFormatError("malformed", "the claims are not a CBOR map")
    get = values.get
    # One expression for the usual case; the loops below only run to name what is wrong.
    if not (
        type(get(K_VERSION)) is int
        and type(get(K_SERIAL)) is bytes
        and type(get(K_ISSUED_AT)) is int
        and type(get(K_HOUSEHOLD)) is str
        and type(get(K_DUTY_KIND)) is int
        and type(get(K_DUTY_REF)) is str
        and type(get(K_DUTY_TITLE)) is str
        and type(get(K_PERIOD_START)) is int
        and type(get(K_PERIOD_END)) is int
        and type(get(K_UNIT)) is str
        and type(get(K_STATUS_INDEX)) is int
    ):
        for key, kind in _REQUIRED.items():
            if type(get(key)) is not kind:  # `type(...) is` also keeps booleans out of integer claims
                raise _malformed(key, "is missing" if key not in values else "has the wrong type")
    for key, kind in _OPTIONAL.items():
        value = get(key)
        if value is not None and type(value) is not kind:
            raise _malformed(key, "has the wrong type")
    if values[K_VERSION] != VERSION:
        raise _malformed(K_VERSION, f"is {values[K_VERSION]}, which this verifier does not know")
    serial = values[K_SERIAL]
    if len(serial) != 16:
        raise _malformed(K_SERIAL, "is not 16 bytes")
    kind = _KIND_NAMES.get(values[K_DUTY_KIND])
    if kind is None:
        raise _malformed(K_DUTY_KIND, "is not a known kind")
    quantity = get(K_QUANTITY)
    if type(quantity) is int:
        quantity = Decimal(quantity)
    elif type(quantity) is not Decimal or not quantity.is_finite():
        raise _malformed(K_QUANTITY, "is missing" if quantity is None else "is not a number")
    status_index = values[K_STATUS_INDEX]
    person = get(K_PERSON)
    if status_index < 0 or (person is not None and person < 0):
        raise StampFormatError("malformed", "an index is negative")
    expires_at = get(K_EXPIRES_AT)
    try:
        return Claims(
            version=VERSION,
            serial=uuid.UUID(bytes=serial),
            issued_at=from_epoch_seconds(values[K_ISSUED_AT]),
            expires_at=from_epoch_seconds(expires_at) if expires_at is not None else None,
            household=values[K_HOUSEHOLD],
            person=person,
            duty_kind=kind,
            duty_ref=values[K_DUTY_REF],
            duty_title=values[K_DUTY_TITLE],
            quantity=quantity,
            measure=get(K_MEASURE) or "",
            period_start=EPOCH_DAY + timedelta(days=values[K_PERIOD_START]),
            period_end=EPOCH_DAY + timedelta(days=values[K_PERIOD_END]),
            unit=values[K_UNIT],
            status_index=status_index,
        )
    except (OverflowError, OSError, ValueError):
        raise StampFormatError("malformed", "a date or time is out of range") from None


def encode_claims(claims: Claims) -> bytes:
    # Keys are small integers in ascending order, so this is already the canonical (deterministic) encoding; cbor2's
    # canonical mode would only sort them again.
    return cbor2.dumps(claims_to_map(claims))


def decode_claims(payload: bytes) -> Claims:
    """Claims from the signed payload. Decoded without the trailing-bytes check of the outer message: by the time
    a verifier reads them the signature has shown that the issuer wrote exactly these bytes."""
    try:
        values = cbor2.loads(payload, allow_duplicate_keys=False, allow_indefinite=False, max_depth=8)
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, EOFError) as exc:
        raise StampFormatError("malformed", f"the claims are not valid CBOR ({exc})") from None
    return claims_from_map(values)


# Base45 (RFC 9285) -------------------------------------------------------------------------------------------

B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_TABLE = bytes(B45_ALPHABET.index(chr(c)) if chr(c) in B45_ALPHABET else 255 for c in range(256))


_B45_CHARS = bytes(ord(B45_ALPHABET[i]) if i < 45 else 0 for i in range(256))
# v // 45 == (v * 93207) >> 22 for every v below 65536 (checked by the tests): division without a Python loop.
_DIV45_MULTIPLIER, _DIV45_SHIFT = 93207, 22
_LANE = 5  # bytes per 16-bit value while dividing: v * 93207 < 2**33 never carries into the next lane


@functools.lru_cache(maxsize=64)
def _low_bits_mask(groups: int) -> int:
    return int.from_bytes(b"\x00\x00\x03\xff\xff" * groups, "big")  # the low 18 bits of every lane


def b45encode(data: bytes) -> str:
    """RFC 9285 encoding, checked against `base45.b45encode` by the tests. Each 16-bit value v becomes the digits
    v % 45, (v // 45) % 45, v // 2025; all values are divided at once in 40-bit lanes of one big integer."""
    groups, odd = divmod(len(data), 2)
    spread = bytearray(_LANE * groups)
    spread[3::_LANE] = data[0 : 2 * groups : 2]
    spread[4::_LANE] = data[1 : 2 * groups : 2]
    values = int.from_bytes(spread, "big")
    low = _low_bits_mask(groups)
    quotient = ((values * _DIV45_MULTIPLIER) >> _DIV45_SHIFT) & low
    first = values - 45 * quotient
    third = ((quotient * _DIV45_MULTIPLIER) >> _DIV45_SHIFT) & low
    second = quotient - 45 * third
    packed = ((first << 16) | (second << 8) | third).to_bytes(_LANE * groups, "big")
    out = bytearray(3 * groups)
    out[0::3] = packed[2::_LANE]
    out[1::3] = packed[3::_LANE]
    out[2::3] = packed[4::_LANE]
    if odd:
        out += bytes(divmod(data[-1], 45)[::-1])
    return out.translate(_B45_CHARS).decode("ascii")


@functools.lru_cache(maxsize=64)
def _lane_masks(groups: int) -> tuple[int, int, int]:
    return (
        int.from_bytes(b"\xff\x00\x00" * groups, "big"),
        int.from_bytes(b"\x00\xff\x00" * groups, "big"),
        int.from_bytes(b"\x00\x00\xff" * groups, "big"),
    )


def b45decode(text: str) -> bytes:
    """RFC 9285 decoding, checked against `base45.b45decode` by the tests; ValueError if the text is not Base45.

    Every stamp check starts here, so it avoids a Python loop: the digit values of all three-character groups are
    read as one big integer in 24-bit lanes [c0][c1][c2], and c0 + 45*c1 + 2025*c2 is computed for every lane at
    once (at most 91,124, so no lane carries into the next). A lane above 0xFFFF is invalid Base45; the low two
    bytes of each lane are the output."""
    try:
        digits = text.encode("ascii").translate(_B45_TABLE)
    except UnicodeEncodeError:
        raise ValueError("not Base45: non-ASCII character") from None
    if 255 in digits:
        raise ValueError("not Base45: character outside the alphabet")
    groups, rest = divmod(len(digits), 3)
    if rest == 1:
        raise ValueError("not Base45: wrong length")
    first, second, third = _lane_masks(groups)
    lanes = int.from_bytes(digits[: 3 * groups], "big")
    words = ((lanes & first) >> 16) + 45 * ((lanes & second) >> 8) + 2025 * (lanes & third)
    if words & first:
        raise ValueError("not Base45: group out of range")
    packed = words.to_bytes(3 * groups, "big")
    out = bytearray(2 * groups)
    out[0::2] = packed[1::3]
    out[1::2] = packed[2::3]
    if rest == 2:
        last = digits[-2] + digits[-1] * 45
        if last > 0xFF:
            raise ValueError("not Base45: group out of range")
        out.append(last)
    return bytes(out)


# The stamp text ------------------------------------------------------------------------------------------------


def encode_stamp(claims: Claims, private_key: Ed25519PrivateKey, kid: bytes) -> str:
    """The stamp text for `claims`, signed with `private_key` (key id `kid`)."""
    message = cose.sign1(encode_claims(claims), private_key, kid)
    plain, packed = VOUCHER_PREFIXES if claims.duty_kind == VOUCHER else (PREFIX, PREFIX_COMPRESSED)
    compressed = zlib.compress(message, 9)
    if len(compressed) < len(message):
        return f"{packed}:{b45encode(compressed)}"
    return f"{plain}:{b45encode(message)}"


def is_voucher_text(text: str) -> bool:
    """Whether the text carries the voucher prefix (its claims must then be of kind voucher, and only then)."""
    return isinstance(text, str) and text.strip().partition(":")[0] in VOUCHER_PREFIXES


def unwrap(text: str) -> bytes:
    """The COSE_Sign1 bytes inside a stamp text: prefix checked, Base45 decoded, decompressed if flagged."""
    if not isinstance(text, str):
        raise StampFormatError("malformed", "a stamp is text")
    text = text.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise StampFormatError("malformed", f"longer than {MAX_TEXT_LENGTH} characters")
    prefix, colon, body = text.partition(":")
    if not colon or prefix not in KNOWN_PREFIXES:
        shown = prefix[:8] if colon else text[:8]
        raise StampFormatError("bad_prefix", f"starts with {shown!r}, expected {PREFIX}: or {VOUCHER_PREFIX}:")
    try:
        data = b45decode(body)
    except ValueError as exc:
        raise StampFormatError("malformed", str(exc)) from None
    if prefix in (PREFIX_COMPRESSED, VOUCHER_PREFIX_COMPRESSED):
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(data, 16 * MAX_TEXT_LENGTH)
        except zlib.error:
            raise StampFormatError("malformed", "the compressed data is damaged") from None
        if inflater.unconsumed_tail or not inflater.eof:
            raise StampFormatError("malformed", "the compressed data is damaged or too large")
    return data


def decode_stamp(text: str) -> tuple[cose.Sign1, Claims]:
    """Parse a stamp text without checking its signature (that is `verify`'s job)."""
    data = unwrap(text)
    try:
        message = cose.decode_sign1(data)
    except cose.CoseError as exc:
        raise StampFormatError("malformed", str(exc)) from None
    return message, decode_claims(message.payload)
