"""Writing to the audit and access logs, verifying the chain, and signing checkpoints."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from inminban.common.keys import key_id, load_or_create_private_key

from .chain import GENESIS_HASH, canonical_time, entry_fields, entry_hash, merkle_root, to_json_value
from .context import current_origin
from .models import AccessLogEntry, AuditCheckpoint, AuditEntry

# Any fixed 64-bit number: the advisory lock that serialises appends to the chain on PostgreSQL.
AUDIT_APPEND_LOCK = 0x1A0D17


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_APPEND_LOCK])
    # SQLite: transactions begin IMMEDIATE (settings), so the writer already holds the database lock.


def audit_record(
    *,
    actor,
    action: str,
    target,
    before: dict | None = None,
    after: dict | None = None,
    area=None,
    household_id: int | None = None,
    target_type: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain. Must run inside the transaction that makes the change."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    _lock_chain()
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    entry = AuditEntry(
        seq=seq,
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        target_type=target_type or target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        area_path=area.path if area is not None else "",
        household_id=household_id,
        before=to_json_value(before),
        after=to_json_value(after),
        origin=to_json_value(current_origin()),
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(prev_hash, entry_fields(entry))
    entry.save(force_insert=True)
    return entry


def access_record(*, actor, person=None, household=None) -> None:
    """Note that `actor` read this person's or household's record. Not chained: reads are many."""
    if not getattr(actor, "is_authenticated", False):
        return
    origin = current_origin()
    AccessLogEntry.objects.create(
        at=timezone.now(),
        actor=actor,
        actor_name=actor.username,
        person=person,
        household=household if household is not None else getattr(person, "household", None),
        channel=origin.get("channel", "system"),
        origin=origin,
    )


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def audit_verify(*, chunk_size: int = 5000) -> VerifyResult:
    """Walk the chain from the first entry; report the first entry that is missing, altered or misplaced."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    hashes_by_size: list[str] = []
    checkpoints = {cp.size: cp for cp in AuditCheckpoint.objects.all()}
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != prev_hash:
            return VerifyResult(False, checked, entry.seq, f"entry {entry.seq} does not link to entry {entry.seq - 1}")
        if entry_hash(prev_hash, entry_fields(entry)) != entry.hash:
            return VerifyResult(False, checked, entry.seq, f"entry {entry.seq} was altered (hash does not match)")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        if checkpoints:
            hashes_by_size.append(entry.hash)
            checkpoint = checkpoints.get(entry.seq)
            if checkpoint and merkle_root(hashes_by_size) != checkpoint.root_hash:
                return VerifyResult(False, checked, entry.seq, f"checkpoint at {entry.seq} no longer matches")
    missing = [size for size in checkpoints if size > checked]
    if missing:
        return VerifyResult(False, checked, checked + 1, f"entries {checked + 1}..{max(missing)} were removed")
    return VerifyResult(True, checked)


@transaction.atomic
def audit_checkpoint() -> AuditCheckpoint | None:
    """Sign the Merkle root over every entry so far with the deployment's audit key."""
    _lock_chain()
    hashes = list(AuditEntry.objects.order_by("seq").values_list("hash", flat=True))
    if not hashes or AuditCheckpoint.objects.filter(size=len(hashes)).exists():
        return None
    key = load_or_create_private_key("audit-checkpoint")
    root = merkle_root(hashes)
    at = timezone.now()
    message = f"inminban-audit-checkpoint\n{len(hashes)}\n{root}\n{canonical_time(at)}".encode()
    return AuditCheckpoint.objects.create(
        size=len(hashes),
        root_hash=root,
        at=at,
        key_id=key_id(key.public_key()),
        signature=key.sign(message).hex(),
    )
