"""Canonical encoding, hashing and Merkle trees for the audit log. Pure functions: no database here."""

import hashlib
import json
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64


def to_json_value(value):
    """Dates, decimals and UUIDs as the strings they are stored as, so a stored entry re-encodes identically."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_bytes(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_fields(entry) -> dict:
    """The part of an entry the hash covers: everything but the hashes themselves."""
    return {
        "seq": entry.seq,
        "at": canonical_time(entry.at),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_repr": entry.target_repr,
        "area_path": entry.area_path,
        "household_id": entry.household_id,
        "before": entry.before,
        "after": entry.after,
        "origin": entry.origin,
    }


def entry_hash(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_bytes(fields)).hexdigest()


def merkle_root(leaf_hashes: list[str]) -> str:
    """RFC 6962 Merkle tree hash over the entries' hashes (leaf prefix 0x00, node prefix 0x01)."""
    if not leaf_hashes:
        return hashlib.sha256(b"").hexdigest()
    level = [hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in leaf_hashes]
    return _subtree(level, 0, len(level)).hex()


def _subtree(leaves: list[bytes], start: int, end: int) -> bytes:
    n = end - start
    if n == 1:
        return leaves[start]
    split = 1 << ((n - 1).bit_length() - 1)  # largest power of two below n
    return hashlib.sha256(
        b"\x01" + _subtree(leaves, start, start + split) + _subtree(leaves, start + split, end)
    ).digest()
