"""Writing to the audit and access logs, verifying the chain, and signing checkpoints."""

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from inminban.common.errors import DomainError
from inminban.common.keys import key_id, load_or_create_private_key

from .chain import GENESIS_HASH, canonical_time, entry_fields, entry_hash, to_json_value
from .context import current_origin
from .merkle import Frontier, consistency_proof
from .models import AccessLogEntry, AuditCheckpoint, AuditEntry
from .note import NoteError, VerifierKey, parse_checkpoint, sign_checkpoint, verifier_key

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


def _access_entry(actor, origin: dict, at, *, person_id, household_id, record: str) -> AccessLogEntry:
    return AccessLogEntry(
        at=at,
        actor=actor,
        actor_name=actor.username,
        person_id=person_id,
        household_id=household_id,
        channel=origin.get("channel", "system"),
        origin=origin,
        record=record,
    )


def access_record(*, actor, person=None, household=None, record: str = AccessLogEntry.Record.REGISTRY) -> None:
    """Note that `actor` read this person's or household's record. Not chained: reads are many."""
    if not getattr(actor, "is_authenticated", False):
        return
    household = household if household is not None else getattr(person, "household", None)
    _access_entry(
        actor,
        current_origin(),
        timezone.now(),
        person_id=getattr(person, "pk", None),
        household_id=getattr(household, "pk", None),
        record=record,
    ).save(force_insert=True)


def access_record_persons(*, actor, persons: list[tuple[int, int]], record: str) -> None:
    """Note that `actor` read a record of each (person id, household id) pair at once, as a list page shows
    several: one row each, written together."""
    if not getattr(actor, "is_authenticated", False) or not persons:
        return
    origin, at = current_origin(), timezone.now()
    AccessLogEntry.objects.bulk_create(
        _access_entry(actor, origin, at, person_id=person_id, household_id=household_id, record=record)
        for person_id, household_id in sorted(set(persons))
    )


@dataclass
class VerifyResult:
    """What `audit_verify` proved. `ok` only if every check held; `first_bad_seq` and `reason` describe the first
    problem, `problems` all of them, and `limits` what could not be proven with what was given."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    problems: list[str] = field(default_factory=list)
    proven: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)


@dataclass
class _Claim:
    """A tree head to hold the log to: from a file kept outside the database, or a checkpoint row."""

    label: str
    size: int
    root: bytes
    outside: bool


def audit_origin() -> str:
    """The log's name: the first line of its checkpoints and the name of its key."""
    return settings.AUDIT_ORIGIN or f"inminban.audit/{key_id(_audit_key().public_key())}"


def _audit_key():
    return load_or_create_private_key("audit-checkpoint")


def audit_verifier_key() -> VerifierKey:
    """The deployment's own checkpoint key, as outside offices pin it (`inminban audit key`, /audit/key)."""
    return verifier_key(audit_origin(), _audit_key().public_key())


class _Problems:
    def __init__(self):
        self.items: list[tuple[int | None, str]] = []

    def add(self, seq: int | None, reason: str) -> None:
        self.items.append((seq, reason))


def _read_rows(problems: _Problems, verifier: VerifierKey) -> list[_Claim]:
    """The checkpoint rows whose note is signed by `verifier` and agrees with the row's columns."""
    claims = []
    try:
        with transaction.atomic():
            rows = list(AuditCheckpoint.objects.order_by("size"))
    except DatabaseError as error:
        problems.add(None, f"the checkpoint table cannot be read ({type(error).__name__}): it was dropped or damaged")
        return claims
    for row in rows:
        label = f"checkpoint row at entry {row.size}"
        if not row.note:
            if not _legacy_signature_holds(row):
                problems.add(row.size, f"{label} has a signature that does not verify with the audit key")
                continue
            claims.append(_Claim(label, row.size, bytes.fromhex(row.root_hash), outside=False))
            continue
        try:
            note = parse_checkpoint(row.note, verifier)
        except NoteError as error:
            problems.add(row.size, f"{label}: {error}")
            continue
        if (note.size, note.root_hex, note.origin) != (row.size, row.root_hash, verifier.name):
            problems.add(row.size, f"{label} was altered: its signed note says size {note.size}, root {note.root_hex}")
            continue
        claims.append(_Claim(label, row.size, note.root, outside=False))
    return claims


def _legacy_signature_holds(row: AuditCheckpoint) -> bool:
    """Checkpoints written before signed notes: the signature covers a fixed text with size, root and time."""
    message = f"inminban-audit-checkpoint\n{row.size}\n{row.root_hash}\n{canonical_time(row.at)}".encode()
    try:
        _audit_key().public_key().verify(bytes.fromhex(row.signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _walk_chain(problems: _Problems, sizes: set[int], chunk_size: int) -> tuple[int, dict[int, bytes], bool]:
    """Check every link of the chain; return how many entries held, the Merkle root at each of `sizes`, and whether
    the walk reached the end (rather than stopping at a bad entry)."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    frontier, roots = Frontier(), {}
    try:
        with transaction.atomic():
            for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
                if entry.seq != expected_seq:
                    problems.add(expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
                    return checked, roots, False
                if entry.prev_hash != prev_hash:
                    problems.add(entry.seq, f"entry {entry.seq} does not link to entry {entry.seq - 1}")
                    return checked, roots, False
                if entry_hash(prev_hash, entry_fields(entry)) != entry.hash:
                    problems.add(entry.seq, f"entry {entry.seq} was altered (hash does not match)")
                    return checked, roots, False
                prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
                frontier.append(bytes.fromhex(entry.hash))
                if checked in sizes:
                    roots[checked] = frontier.root()
    except DatabaseError as error:
        problems.add(None, f"the audit table cannot be read ({type(error).__name__}): it was dropped or damaged")
        return checked, roots, False
    return checked, roots, True


def audit_verify(
    *, outside: list[tuple[str, str]] | None = None, verifier: VerifierKey | None = None, chunk_size: int = 5000
) -> VerifyResult:
    """Walk the chain from the first entry and hold it to every checkpoint: the signed rows in the database and the
    checkpoints kept outside it (`outside`: (label, signed note text) pairs), all signed by `verifier` (default: the
    deployment's audit key). Names the first entry that is missing, altered or misplaced, and any range of entries
    a checkpoint covers that is gone or no longer hashes to its root."""
    verifier = verifier or audit_verifier_key()
    problems = _Problems()
    claims = []
    for label, text in outside or []:
        try:
            note = parse_checkpoint(text, verifier)
        except NoteError as error:
            problems.add(None, f"{label}: {error}")
            continue
        if note.origin != verifier.name:
            problems.add(None, f"{label} is a checkpoint of another log ({note.origin})")
            continue
        claims.append(_Claim(label, note.size, note.root, outside=True))
    claims += _read_rows(problems, verifier)

    checked, roots, complete = _walk_chain(problems, {claim.size for claim in claims}, chunk_size)
    matching = sorted(claim.size for claim in claims if claim.size in roots and roots[claim.size] == claim.root)
    proven = []
    for claim in sorted(claims, key=lambda item: item.size):
        if claim.size > checked:
            if complete:
                problems.add(
                    checked + 1,
                    f"entries {checked + 1}–{claim.size} were deleted: {claim.label} covers {claim.size} entries, "
                    f"the log holds {checked}",
                )
            continue
        if roots.get(claim.size) != claim.root:
            since = max((size for size in matching if size < claim.size), default=0) + 1
            problems.add(
                since,
                f"entries {since}–{claim.size} no longer match {claim.label}: one of them was rewritten and the "
                "hashes after it recomputed",
            )
        elif claim.outside:
            proven.append(f"{claim.label}: entries 1–{claim.size} are unchanged")

    limits = []
    if not any(claim.outside for claim in claims):
        limits.append(
            "No checkpoint kept outside the database was given: this proves that the entries and the checkpoints "
            "stored with them agree, not that the newest entries were never deleted together with their "
            "checkpoints, nor that the whole log was not rewritten. Keep checkpoints from /audit/checkpoint "
            "(or `inminban audit checkpoint --out FILE`) elsewhere and pass them with --checkpoint."
        )
    elif checked > max(claim.size for claim in claims if claim.outside):
        newest = max(claim.size for claim in claims if claim.outside)
        limits.append(f"Entries after {newest} are covered by no checkpoint kept outside the database.")

    items = sorted(problems.items, key=lambda item: (item[0] is None, item[0] or 0))
    if items:
        seq, reason = items[0]
        return VerifyResult(False, checked, seq, reason, [text for _, text in items], proven, limits)
    return VerifyResult(True, checked, proven=proven, limits=limits)


def _leaves(size: int | None = None) -> list[bytes]:
    hashes = AuditEntry.objects.order_by("seq").values_list("hash", flat=True)
    if size is not None:
        hashes = hashes.filter(seq__lte=size)
    return [bytes.fromhex(value) for value in hashes.iterator(chunk_size=10_000)]


@transaction.atomic
def audit_checkpoint() -> AuditCheckpoint | None:
    """Sign the Merkle root over every entry so far with the deployment's audit key, as a C2SP signed note."""
    _lock_chain()
    frontier = Frontier()
    hashes = AuditEntry.objects.order_by("seq").values_list("hash", flat=True)
    for value in hashes.iterator(chunk_size=10_000):
        frontier.append(bytes.fromhex(value))
    if not frontier.size or AuditCheckpoint.objects.filter(size=frontier.size).exists():
        return None
    key, verifier = _audit_key(), audit_verifier_key()
    root = frontier.root()
    note = sign_checkpoint(origin=verifier.name, size=frontier.size, root=root, name=verifier.name, key=key)
    return AuditCheckpoint.objects.create(
        size=frontier.size,
        root_hash=root.hex(),
        at=timezone.now(),
        key_id=key_id(key.public_key()),
        signature=note.rstrip("\n").rsplit(" ", 1)[1],
        note=note,
    )


def audit_consistency_proof(*, old: int, new: int) -> list[bytes]:
    """The RFC 6962 proof that the log's first `old` entries are the first `old` of its first `new`."""
    for name, value in (("old", old), ("new", new)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DomainError(name, "A tree size is a whole number, at least 1.")
    if old > new:
        raise DomainError("old", "The old tree size cannot be larger than the new one.")
    leaves = _leaves(new)
    if new > len(leaves):
        raise DomainError("new", f"The log holds {len(leaves)} entries.")
    return consistency_proof(leaves, old, new)
