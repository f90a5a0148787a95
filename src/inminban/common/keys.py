"""Ed25519 keys kept as files in the data directory (never in the repository), generated on first use."""

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings


def keys_dir() -> Path:
    path = Path(os.environ.get("INMINBAN_KEYS_DIR", settings.DATA_DIR / "keys"))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_or_create_private_key(name: str) -> Ed25519PrivateKey:
    """The private key stored under `name`, created (mode 0600) if it does not exist yet."""
    path = keys_dir() / f"{name}.pem"
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)
