"""Checkpoints as C2SP signed notes (c2sp.org/tlog-checkpoint, c2sp.org/signed-note), signed with Ed25519.

    <origin>                   e.g. inminban.example.org/audit
    <tree size>                decimal
    <root hash>                base64 (standard, padded) of the RFC 6962 root over entries 1..size
                               (blank line)
    — <key name> <base64(key hash (4 bytes) ‖ Ed25519 signature over the three lines above)>

The key hash is the first four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key); a verifier key is written
`<name>+<key hash, hex>+<base64(0x01 ‖ public key)>`. Pure functions: no database here."""

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
DASH = "\u2014"


class NoteError(ValueError):
    """A checkpoint or verifier key that cannot be read, or whose signature does not hold."""


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_hash: bytes
    public_key: Ed25519PublicKey

    def __str__(self) -> str:
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return f"{self.name}+{self.key_hash.hex()}+{base64.b64encode(ED25519 + raw).decode()}"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    text: str  # the whole signed note, as sent

    @property
    def root_hex(self) -> str:
        return self.root.hex()


def _key_hash(name: str, raw_public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + raw_public_key).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(ch.isspace() or ch == "+" for ch in name):
        raise NoteError(f"a key name has no spaces and no '+': {name!r}")
    return name


def verifier_key(name: str, public_key: Ed25519PublicKey) -> VerifierKey:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return VerifierKey(_check_name(name), _key_hash(name, raw), public_key)


def parse_verifier_key(text: str) -> VerifierKey:
    parts = text.strip().split("+", 2)  # the name and the hash have no '+'; base64 may
    if len(parts) != 3:
        raise NoteError("a verifier key is NAME+KEYHASH+KEY")
    name, hash_hex, encoded = parts
    try:
        blob = base64.b64decode(encoded, validate=True)
        key_hash = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError) as error:
        raise NoteError(f"the verifier key is not readable: {error}") from None
    if len(blob) != 33 or blob[:1] != ED25519:
        raise NoteError("the verifier key is not an Ed25519 key")
    if _key_hash(_check_name(name), blob[1:]) != key_hash:
        raise NoteError("the verifier key's hash does not match its name and key")
    return VerifierKey(name, key_hash, Ed25519PublicKey.from_public_bytes(blob[1:]))


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    if not origin or "\n" in origin:
        raise NoteError("the origin is one non-empty line")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_checkpoint(*, origin: str, size: int, root: bytes, name: str, key: Ed25519PrivateKey) -> str:
    body = checkpoint_body(origin, size, root)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = base64.b64encode(_key_hash(name, raw) + key.sign(body.encode())).decode()
    return f"{body}\n{DASH} {name} {signature}\n"


def parse_checkpoint(text: str, verifier: VerifierKey) -> Checkpoint:
    """Read a signed checkpoint and check that `verifier` signed it; NoteError says what is wrong."""
    if "\n\n" not in text:
        raise NoteError("not a signed note (no blank line before the signatures)")
    body, _, signatures = text.partition("\n\n")
    body += "\n"
    lines = body.splitlines()
    if len(lines) < 3:
        raise NoteError("a checkpoint has an origin, a tree size and a root hash")
    origin, size_text, root_text = lines[:3]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError(f"the tree size is not a decimal number: {size_text!r}")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise NoteError("the root hash is not base64") from None
    if len(root) != 32:
        raise NoteError("the root hash is not 32 bytes")
    signed_by_verifier = False
    for line in signatures.splitlines():
        if not line.startswith(f"{DASH} "):
            raise NoteError(f"not a signature line: {line[:40]!r}")
        try:
            name, encoded = line[2:].split(" ")
            blob = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError(f"a signature line is not readable: {line[:40]!r}") from None
        if name != verifier.name or blob[:4] != verifier.key_hash:
            continue  # someone else's signature (a witness's cosignature, say)
        try:
            verifier.public_key.verify(blob[4:], body.encode())
        except InvalidSignature:
            raise NoteError(f"the signature of {name} does not verify: the checkpoint was altered") from None
        signed_by_verifier = True
    if not signed_by_verifier:
        raise NoteError(f"not signed by the audit key {verifier.name} ({verifier.key_hash.hex()})")
    return Checkpoint(origin=origin, size=int(size_text), root=root, text=text)
