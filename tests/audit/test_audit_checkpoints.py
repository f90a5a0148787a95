"""Checkpoints kept outside the database hold the audit log to its past: truncation, deletion, a rewritten and
re-hashed chain, altered or re-signed checkpoint rows are each detected and named (`audit verify --checkpoint`);
a witness refuses a checkpoint that does not extend the one it holds."""

import base64
import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from inminban.audit import witness
from inminban.audit.chain import entry_fields, entry_hash
from inminban.audit.merkle import tree_root
from inminban.audit.models import AuditCheckpoint, AuditEntry
from inminban.audit.note import parse_checkpoint, parse_verifier_key, sign_checkpoint, verifier_key
from inminban.audit.services import audit_checkpoint, audit_record, audit_verifier_key, audit_verify


@pytest.fixture(autouse=True)
def own_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path / "keys"))


def _audit(command: str, *args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", command, *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _kept_outside(tmp_path, name: str = "kept.checkpoint") -> str:
    """`inminban audit checkpoint --out FILE`: what an outside office keeps."""
    path = tmp_path / name
    code, _, message = _audit("checkpoint", "--out", str(path))
    assert code == 0, message
    return str(path)


def _append(count: int) -> None:
    user = User.objects.get(username="officer-a")
    for index in range(count):
        with transaction.atomic():
            audit_record(actor=user, action="test.append", target=user, after={"n": index})


def _rewrite_from(seq: int, actor_name: str = "forger") -> None:
    """What a database superuser could do: change an entry and recompute every later hash, so the chain holds."""
    AuditEntry.objects.filter(seq=seq).update(actor_name=actor_name)
    prev = AuditEntry.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for entry in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        entry.prev_hash = prev
        entry.hash = entry_hash(prev, entry_fields(entry))
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash, hash=entry.hash)
        prev = entry.hash


def _size() -> int:
    return AuditEntry.objects.count()


def test_a_checkpoint_is_a_signed_note_with_origin_size_and_rfc6962_root(db, tmp_path):
    path = _kept_outside(tmp_path)
    text = open(path).read()
    origin, size, root, blank, signature = text.split("\n")[:5]
    assert (int(size), blank) == (_size(), "")
    hashes = AuditEntry.objects.order_by("seq").values_list("hash", flat=True)
    assert base64.b64decode(root) == tree_root(bytes.fromhex(value) for value in hashes)
    assert signature.startswith(f"\u2014 {origin} ")
    assert parse_checkpoint(text, audit_verifier_key()).size == _size()


def test_the_public_urls_serve_the_newest_checkpoint_and_the_key(db, tmp_path):
    path = _kept_outside(tmp_path)
    anonymous = Client()
    served = anonymous.get("/audit/checkpoint")
    assert served.status_code == 200 and served["Content-Type"].startswith("text/plain")
    assert served.content.decode() == open(path).read()
    key = parse_verifier_key(anonymous.get("/audit/key").content.decode())
    assert str(key) == str(audit_verifier_key())


def test_no_checkpoint_yet_is_a_404(db):
    assert Client().get("/audit/checkpoint").status_code == 404


def test_verify_with_outside_checkpoints_proves_them(db, tmp_path):
    first = _kept_outside(tmp_path, "first")
    _append(3)
    second = _kept_outside(tmp_path, "second")
    code, out, _ = _audit("verify", "--checkpoint", first, "--checkpoint", second)
    assert code == 0
    assert f"checkpoint {second}: entries 1–{_size()} are unchanged" in out
    assert "Audit log intact" in out


def test_verify_without_outside_checkpoints_says_what_it_cannot_prove(db):
    code, out, _ = _audit("verify")
    assert code == 0
    assert "Not proven: No checkpoint kept outside the database was given" in out


def test_deleting_the_newest_five_entries_is_named(db, tmp_path):
    kept = _kept_outside(tmp_path)
    size = _size()
    AuditCheckpoint.objects.all().delete()  # a careful attacker removes the rows that would give it away
    AuditEntry.objects.filter(seq__gt=size - 5).delete()
    code, _, err = _audit("verify", "--checkpoint", kept)
    assert code == 1
    assert f"BROKEN at entry {size - 4}: entries {size - 4}–{size} were deleted" in err


def test_deleting_every_entry_is_named(db, tmp_path):
    kept = _kept_outside(tmp_path)
    size = _size()
    AuditCheckpoint.objects.all().delete()
    AuditEntry.objects.all().delete()
    result = audit_verify(outside=[("kept", open(kept).read())])
    assert not result.ok
    assert (result.first_bad_seq, result.reason.split(":")[0]) == (1, f"entries 1–{size} were deleted")


def test_a_dropped_audit_table_is_named(db, tmp_path):
    kept = open(_kept_outside(tmp_path)).read()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE audit_auditentry")
    result = audit_verify(outside=[("kept", kept)])
    assert not result.ok
    assert "the audit table cannot be read" in result.reason


def test_a_rewritten_and_rehashed_chain_passes_the_links_but_not_the_checkpoint(db, tmp_path):
    early = _kept_outside(tmp_path, "early")
    early_size = _size()
    _append(4)
    late = _kept_outside(tmp_path, "late")
    AuditCheckpoint.objects.all().delete()
    _rewrite_from(early_size + 2)
    assert audit_verify().ok, "the chain's own links hold after a full re-hash: only the checkpoints can tell"

    code, _, err = _audit("verify", "--checkpoint", early, "--checkpoint", late)
    assert code == 1
    assert (
        f"BROKEN at entry {early_size + 1}: entries {early_size + 1}–{_size()} no longer match checkpoint {late}" in err
    )


def test_a_rewrite_is_caught_by_the_stored_checkpoint_rows_too(db, tmp_path):
    _kept_outside(tmp_path)
    _rewrite_from(3)
    result = audit_verify()
    assert not result.ok
    assert result.reason.startswith(f"entries 1–{_size()} no longer match checkpoint row at entry {_size()}")


def test_an_altered_checkpoint_signature_is_named(db, tmp_path):
    _kept_outside(tmp_path)
    row = AuditCheckpoint.objects.get()
    name, encoded = row.note.rstrip("\n").rsplit("\n", 1)[1][2:].split(" ")
    blob = bytearray(base64.b64decode(encoded))
    blob[10] ^= 0xFF
    AuditCheckpoint.objects.filter(pk=row.pk).update(
        note=row.note.replace(encoded, base64.b64encode(bytes(blob)).decode())
    )
    result = audit_verify()
    assert not result.ok
    assert result.reason == (
        f"checkpoint row at entry {row.size}: the signature of {name} does not verify: the checkpoint was altered"
    )


def test_a_checkpoint_row_re_signed_by_another_key_is_named(db, tmp_path):
    kept = _kept_outside(tmp_path)
    _rewrite_from(2)
    row = AuditCheckpoint.objects.get()
    forged_root = tree_root(bytes.fromhex(h) for h in AuditEntry.objects.order_by("seq").values_list("hash", flat=True))
    origin = audit_verifier_key().name
    forged = sign_checkpoint(
        origin=origin, size=row.size, root=forged_root, name=origin, key=Ed25519PrivateKey.generate()
    )
    AuditCheckpoint.objects.filter(pk=row.pk).update(note=forged, root_hash=forged_root.hex())

    result = audit_verify(outside=[("kept", open(kept).read())])
    assert not result.ok
    key_hash = audit_verifier_key().key_hash.hex()
    assert f"checkpoint row at entry {row.size}: not signed by the audit key {origin} ({key_hash})" in result.problems
    assert f"entries 1–{row.size} no longer match kept: one of them was rewritten" in " ".join(result.problems)


def test_an_outside_checkpoint_that_was_edited_or_signed_by_another_key_is_refused(db, tmp_path):
    text = open(_kept_outside(tmp_path)).read()
    origin, size = text.split("\n")[:2]
    edited = text.replace(f"\n{size}\n", f"\n{int(size) + 1}\n", 1)
    other = sign_checkpoint(
        origin=origin, size=int(size), root=b"\x00" * 32, name=origin, key=Ed25519PrivateKey.generate()
    )
    result = audit_verify(outside=[("edited", edited), ("other", other)])
    assert not result.ok
    assert result.problems == [
        f"edited: the signature of {origin} does not verify: the checkpoint was altered",
        f"other: not signed by the audit key {origin} ({audit_verifier_key().key_hash.hex()})",
    ]


def test_verify_holds_checkpoints_to_a_key_given_on_the_command_line(db, tmp_path):
    kept = _kept_outside(tmp_path)
    stranger = verifier_key(audit_verifier_key().name, Ed25519PrivateKey.generate().public_key())
    code, _, err = _audit("verify", "--checkpoint", kept, "--key", str(stranger))
    assert code == 1
    assert f"checkpoint {kept}: not signed by the audit key" in err
    assert _audit("verify", "--checkpoint", kept, "--key", str(audit_verifier_key()))[0] == 0


# Consistency proofs and the witness ---------------------------------------------------------------------------


def _served_by(client: Client):
    def get(url: str) -> bytes:
        response = client.get(url.removeprefix("http://inminban.test"))
        if response.status_code != 200:
            raise witness.Unreachable(f"{url} answered {response.status_code}")
        return response.content

    return get


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setattr(witness, "_get", _served_by(Client()))
    return "http://inminban.test"


def test_the_witness_keeps_a_checkpoint_then_accepts_one_that_extends_it(db, tmp_path, server):
    state = tmp_path / "witness"
    audit_checkpoint()
    first = witness.witness(server, state=state)
    assert first.summary.startswith("First checkpoint kept")
    assert "Pinned the server's key on first use" in first.notes[0]
    _append(5)
    audit_checkpoint()
    second = witness.witness(server, state=state)
    assert second.summary == f"Checkpoint at {_size()} entries extends the one kept at {first.checkpoint.size}; kept."
    assert (state / "checkpoint").read_text() == AuditCheckpoint.objects.order_by("-size").first().note
    assert sorted(path.name for path in (state / "history").iterdir()) == sorted(
        f"{size}.checkpoint" for size in (first.checkpoint.size, _size())
    )


def test_the_witness_refuses_a_rewritten_log_and_keeps_what_it_held(db, tmp_path, server):
    state = tmp_path / "witness"
    audit_checkpoint()
    witness.witness(server, state=state)
    held = (state / "checkpoint").read_text()
    # An insider with the key itself rewrites history and signs a new, longer checkpoint.
    _rewrite_from(4)
    AuditCheckpoint.objects.all().delete()
    _append(2)
    audit_checkpoint()
    with pytest.raises(witness.Refused, match=r"does not extend the one kept at \d+: entries 1–\d+ were rewritten"):
        witness.witness(server, state=state)
    assert (state / "checkpoint").read_text() == held


def test_the_witness_refuses_a_log_that_went_back(db, tmp_path, server):
    state = tmp_path / "witness"
    audit_checkpoint()
    witness.witness(server, state=state)
    size = _size()
    AuditCheckpoint.objects.all().delete()
    AuditEntry.objects.filter(seq__gt=size - 3).delete()
    audit_checkpoint()
    with pytest.raises(witness.Refused, match=f"the log went back from {size} to {size - 3} entries"):
        witness.witness(server, state=state)


def test_the_witness_command_reports_a_refusal_and_exits_1(db, tmp_path, server):
    state = tmp_path / "witness"
    audit_checkpoint()
    assert _audit("witness", server, "--state", str(state))[0] == 0
    other = verifier_key(audit_verifier_key().name, Ed25519PrivateKey.generate().public_key())
    (state / "key").write_text(str(other))
    code, _, err = _audit("witness", server, "--state", str(state))
    assert code == 1
    assert err.startswith("REFUSED: the server's checkpoint: not signed by the audit key")


def test_the_proof_endpoint_proves_each_older_size_against_the_newest(db):
    from inminban.audit.merkle import consistency_holds

    hashes = [bytes.fromhex(h) for h in AuditEntry.objects.order_by("seq").values_list("hash", flat=True)]
    new = len(hashes)
    for old in (1, 2, 3, new // 2, new - 1, new):
        body = json.loads(Client().get(f"/audit/proof?old={old}&new={new}").content)
        proof = [base64.b64decode(node) for node in body["proof"]]
        assert consistency_holds(old, new, tree_root(hashes[:old]), tree_root(hashes), proof), old


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("old=0&new=3", "old"),
        ("old=4&new=3", "old"),
        ("old=1&new=99999999", "new"),
        ("old=x&new=3", "old"),
        ("new=3", "old"),
    ],
)
def test_bad_proof_requests_are_400_naming_the_field(db, query, field):
    before = (AuditEntry.objects.count(), AuditCheckpoint.objects.count())
    response = Client().get(f"/audit/proof?{query}")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert (AuditEntry.objects.count(), AuditCheckpoint.objects.count()) == before


def test_a_checkpoint_is_signed_on_schedule_through_the_job_mechanism(db, monkeypatch):
    from inminban.jobs import registry
    from inminban.jobs.runner import run_due

    monkeypatch.setattr(
        registry, "_schedules", {"audit.checkpoint": registry.ScheduleDeclaration("audit.checkpoint", 3600)}
    )
    assert run_due(worker="test") == 1
    assert AuditCheckpoint.objects.get().size == _size()


def _reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962's MTH written as its definition: split at the largest power of two below n, recursively."""
    from inminban.audit.merkle import EMPTY_ROOT, leaf_hash, node_hash

    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_reference_root(leaves[:split]), _reference_root(leaves[split:]))


def test_roots_and_consistency_proofs_hold_for_every_pair_of_sizes_and_fail_when_tampered():
    from inminban.audit.merkle import consistency_holds, consistency_proof

    leaves = [bytes([i]) * 32 for i in range(33)]
    for new in range(1, len(leaves) + 1):
        new_root = _reference_root(leaves[:new])
        assert tree_root(leaves[:new]) == new_root
        for old in range(1, new + 1):
            old_root = _reference_root(leaves[:old])
            proof = consistency_proof(leaves, old, new)
            assert consistency_holds(old, new, old_root, new_root, proof), (old, new)
            if old == new:
                continue
            rewritten = [*leaves[: old - 1], b"\xff" * 32, *leaves[old:new]]
            assert not consistency_holds(old, new, old_root, _reference_root(rewritten), proof), (old, new)
            assert not consistency_holds(old, new, old_root, new_root, [b"\x00" * 32, *proof[1:]]), (old, new)
