"""Private key files for stamps: one file per office key (named with a random suffix, so a rotation never reuses a
name) and one root key file, all in the keys directory of `inminban.common.keys`, never in the database."""

import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from inminban.common.errors import DomainError
from inminban.common.keys import keys_dir, load_or_create_private_key

from .trust import kid_of

ROOT_KEY_NAME = "stamps-root"


def new_office_key(office_code: str) -> tuple[str, Ed25519PrivateKey]:
    """A freshly generated key, already written (mode 0600) under a new file name; returns (name, key)."""
    safe_code = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in office_code)[:64]
    name = f"stamp-{safe_code}-{secrets.token_hex(6)}"
    return name, load_or_create_private_key(name)


def root_key_file_exists() -> bool:
    return (keys_dir() / f"{ROOT_KEY_NAME}.pem").exists()


def load_root_key() -> Ed25519PrivateKey:
    """The root key, created on first use."""
    return load_or_create_private_key(ROOT_KEY_NAME)


def load_existing_key(name: str, *, expected_kid: str) -> Ed25519PrivateKey:
    """An existing key file; a missing file or one whose key does not match the registered key id is an error
    (never silently replaced, or stamps would be signed by a key no verifier trusts)."""
    path = keys_dir() / f"{name}.pem"
    if not path.exists():
        raise DomainError(
            "signing_key",
            f"The private key file {name}.pem is missing from {keys_dir()}; restore it or rotate the office key.",
            code="key_missing",
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey) or kid_of(key.public_key()).hex() != expected_kid:
        raise DomainError(
            "signing_key", f"The key file {name}.pem does not hold key {expected_kid}.", code="key_mismatch"
        )
    return key
