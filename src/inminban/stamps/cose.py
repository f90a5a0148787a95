"""COSE_Sign1 (RFC 9052) with EdDSA over Ed25519, built with cbor2 and cryptography directly.

Pure functions, no database. A COSE_Sign1 is the CBOR array [protected, unprotected, payload, signature] under
tag 18; `protected` is the byte string of the CBOR map {1: -8 (EdDSA), 4: kid}, and the signature covers the
Sig_structure ["Signature1", protected, b"", payload].
"""

import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

TAG_SIGN1 = 18
HEADER_ALG = 1
HEADER_KID = 4
ALG_EDDSA = -8
SIGNATURE_LENGTH = 64


class CoseError(ValueError):
    """The bytes are not a COSE_Sign1 message we can read."""


def cbor_loads_strict(data: bytes):
    """Decode exactly one CBOR item: no trailing bytes, no duplicate map keys, no indefinite lengths."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream, allow_duplicate_keys=False, allow_indefinite=False, max_depth=16).decode()
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, EOFError) as exc:
        raise CoseError(f"not valid CBOR ({exc})") from None
    if stream.tell() != len(data):
        raise CoseError("trailing bytes after the CBOR item")
    return value


@dataclass(slots=True)
class Sign1:
    protected: bytes  # the serialised protected header exactly as signed
    kid: bytes
    payload: bytes
    signature: bytes

    def to_be_signed(self) -> bytes:
        return sig_structure(self.protected, self.payload)

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(self.signature, self.to_be_signed())
        except InvalidSignature:
            return False
        return True


@functools.lru_cache(maxsize=256)
def protected_header(kid: bytes) -> bytes:
    return cbor2.dumps({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid}, canonical=True)


_SIG1_PREFIX = cbor2.dumps(["Signature1", b"", b"", b""])[:12]  # array of 4 + the text "Signature1"


def _bstr_head(length: int) -> bytes:
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """CBOR of ["Signature1", protected, b"", payload], built by hand: it is made once per verified stamp.
    The tests check it byte for byte against cbor2."""
    return b"".join((_SIG1_PREFIX, _bstr_head(len(protected)), protected, b"\x40", _bstr_head(len(payload)), payload))


def sign1(payload: bytes, private_key: Ed25519PrivateKey, kid: bytes) -> bytes:
    """The tagged COSE_Sign1 message carrying `payload`, signed with `private_key` under key id `kid`."""
    protected = protected_header(kid)
    signature = private_key.sign(sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(TAG_SIGN1, [protected, {}, payload, signature]))


def decode_sign1(data: bytes) -> Sign1:
    """Parse a COSE_Sign1 (tagged or not) without checking its signature; CoseError if it is not one."""
    message = cbor_loads_strict(data)
    if isinstance(message, cbor2.CBORTag):
        if message.tag != TAG_SIGN1:
            raise CoseError(f"CBOR tag {message.tag} is not a COSE_Sign1 (18)")
        message = message.value
    if not isinstance(message, list | tuple) or len(message) != 4:
        raise CoseError("a COSE_Sign1 is an array of four items")
    protected, unprotected, payload, signature = message
    if not isinstance(protected, bytes) or not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise CoseError("protected header, payload and signature must be byte strings")
    if not isinstance(unprotected, Mapping):
        raise CoseError("the unprotected header must be a map")
    if len(signature) != SIGNATURE_LENGTH:
        raise CoseError(f"an Ed25519 signature has {SIGNATURE_LENGTH} bytes, not {len(signature)}")
    kid = _HEADER_KIDS.get(protected)
    if kid is None:
        kid = _read_protected_header(protected)
        if len(_HEADER_KIDS) >= 1024:
            _HEADER_KIDS.clear()
        _HEADER_KIDS[protected] = kid
    return Sign1(protected=protected, kid=kid, payload=payload, signature=signature)


# Every stamp signed by one key has the same protected header bytes; reading each once saves a CBOR decode per stamp.
_HEADER_KIDS: dict[bytes, bytes] = {}


def _read_protected_header(protected: bytes) -> bytes:
    header = cbor_loads_strict(protected)
    if not isinstance(header, Mapping):
        raise CoseError("the protected header must be a map")
    if header.get(HEADER_ALG) != ALG_EDDSA:
        raise CoseError(f"algorithm {header.get(HEADER_ALG)!r} is not EdDSA (-8)")
    kid = header.get(HEADER_KID)
    if not isinstance(kid, bytes) or not 1 <= len(kid) <= 32:
        raise CoseError("the protected header has no key id")
    return kid
