"""Canonical encoding, hashing and Merkle trees for the audit log. Pure functions: no database here."""

import hashlib
import json
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder

from .merkle import tree_root

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
    """RFC 6962 Merkle tree hash over the entries' hashes (hex), as in the checkpoints (see `merkle`)."""
    return tree_root(bytes.fromhex(value) for value in leaf_hashes).hex()
