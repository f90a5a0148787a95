import pytest
from django.core.management import call_command
from django.db import connection

from inminban.audit.models import AuditEntry
from inminban.audit.services import audit_checkpoint, audit_verify


def _run_verify() -> tuple[int, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, err.getvalue()
    return 0, out.getvalue()


def test_intact_log_verifies(db):
    code, message = _run_verify()
    assert code == 0
    assert f"{AuditEntry.objects.count()} entries verified" in message


def test_altered_row_is_named(db):
    victim = AuditEntry.objects.order_by("seq")[10]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_name = 'someone-else' WHERE seq = %s", [victim.seq])
    code, message = _run_verify()
    assert code == 1
    assert f"BROKEN at entry {victim.seq}:" in message
    assert "altered" in message


def test_altered_json_payload_is_named(db):
    victim = AuditEntry.objects.filter(action="person.register").order_by("seq")[3]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET after = %s WHERE seq = %s", ['{"family_name": "X"}', victim.seq])
    result = audit_verify()
    assert not result.ok and result.first_bad_seq == victim.seq


def test_deleted_row_is_named(db):
    victim = AuditEntry.objects.order_by("seq")[5]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [victim.seq])
    code, message = _run_verify()
    assert code == 1
    assert f"BROKEN at entry {victim.seq}:" in message and "missing" in message


def test_rewritten_row_with_recomputed_hash_breaks_the_link(db):
    """A forger who recomputes one entry's hash still breaks the next entry's link."""
    from inminban.audit.chain import entry_fields, entry_hash

    victim = AuditEntry.objects.order_by("seq")[7]
    victim.actor_name = "forger"
    new_hash = entry_hash(victim.prev_hash, entry_fields(victim))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET actor_name = %s, hash = %s WHERE seq = %s", ["forger", new_hash, victim.seq]
        )
    result = audit_verify()
    assert not result.ok
    assert result.first_bad_seq == victim.seq + 1


def test_tail_deletion_after_checkpoint_is_detected(db, tmp_path, monkeypatch):
    monkeypatch.setenv("INMINBAN_KEYS_DIR", str(tmp_path))
    checkpoint = audit_checkpoint()
    assert checkpoint is not None and checkpoint.size == AuditEntry.objects.count()
    assert audit_verify().ok
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [checkpoint.size])
    result = audit_verify()
    assert not result.ok and result.first_bad_seq == checkpoint.size


@pytest.mark.parametrize("column", ["action", "target_id", "area_path"])
def test_any_covered_column_is_protected(db, column):
    victim = AuditEntry.objects.order_by("seq")[2]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE audit_auditentry SET {column} = 'tampered' WHERE seq = %s", [victim.seq])
    assert audit_verify().first_bad_seq == victim.seq
