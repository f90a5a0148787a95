"""`inminban stamp export` and `inminban stamp verify`: verification from the files alone, with no database.

The verify runs are real subprocesses whose database URL points nowhere: if `stamp verify` touched the database,
it would fail instead of answering."""

import json
import os
import subprocess
import sys
from pathlib import Path

import base45
import pytest
from django.core.management import call_command

from inminban.stamps import services

INMINBAN = Path(sys.executable).parent / "inminban"
NOWHERE = "postgres://nobody@127.0.0.1:9/no-such-database"


def verify_offline(tmp_path, *args) -> subprocess.CompletedProcess:
    env = os.environ | {"INMINBAN_DATABASE_URL": NOWHERE, "INMINBAN_DATA_DIR": str(tmp_path / "verifier-data")}
    return subprocess.run(
        [str(INMINBAN), "stamp", "verify", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def exported(tmp_path, issue, household_a1, cast, capsys):
    good = issue(household_a1)
    revoked = issue(household_a1)
    services.stamp_revoke(actor=cast["officer-a"], stamp=revoked, reason="delivered goods were returned")
    directory = tmp_path / "trust"
    call_command("stamp", "export", str(directory))
    capsys.readouterr()
    return directory, good, revoked


def test_export_writes_the_files_a_verifier_needs(exported):
    directory, good, _ = exported
    assert (directory / "trust-list.cose").is_file()
    assert (directory / "root-key.pem").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert (directory / "status" / f"{good.signing_key.kid}.cose").is_file()
    assert not list(directory.rglob("*PRIVATE*")) and b"PRIVATE" not in (directory / "root-key.pem").read_bytes()


def test_valid_stamp_offline_without_a_database(exported, tmp_path):
    directory, good, _ = exported
    run = verify_offline(tmp_path, good.encoded, "--trust", str(directory))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("VALID")
    assert good.household.number in run.stdout and "HS-A-OFFICE" in run.stdout


def test_invalid_stamps_offline_say_why(exported, tmp_path):
    directory, good, revoked = exported
    raw = bytearray(base45.b45decode(good.encoded[5:]))
    raw[-70] ^= 0x01  # a byte of the claims
    tampered = "INB1:" + base45.b45encode(bytes(raw)).decode()
    cases = [
        (revoked.encoded, "revoked"),
        (tampered, "bad_signature"),
        ("HC1:6BFOXN*TS0BI$ZD4N9", "bad_prefix"),
        ("INB1:not base45", "malformed"),
    ]
    for text, reason in cases:
        run = verify_offline(tmp_path, text, "--trust", str(directory))
        assert run.returncode == 1, (reason, run.stdout, run.stderr)
        assert run.stdout.startswith(f"INVALID ({reason}):"), run.stdout


def test_stamp_from_a_file_and_json_output(exported, tmp_path):
    directory, good, _ = exported
    stamp_file = tmp_path / "stamp.txt"
    stamp_file.write_text(good.encoded + "\n")
    run = verify_offline(tmp_path, str(stamp_file), "--trust", str(directory), "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["ok"] is True and result["claims"]["serial"] == str(good.serial)


def test_verify_as_of_a_later_time(exported, tmp_path, issue):
    directory, good, _ = exported
    run = verify_offline(tmp_path, good.encoded, "--trust", str(directory), "--at", "2099-01-01T00:00:00")
    assert run.returncode == 1 and run.stdout.startswith("INVALID (key_expired)")


def test_stamp_issued_after_the_export_is_status_unknown(exported, tmp_path, issue, household_a1):
    directory, _, _ = exported
    newer = issue(household_a1)
    run = verify_offline(tmp_path, newer.encoded, "--trust", str(directory))
    assert run.returncode == 1 and run.stdout.startswith("INVALID (status_unknown)")


def test_a_different_pinned_root_rejects_the_lists(exported, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from inminban.stamps.trust import public_key_pem

    directory, good, _ = exported
    other_root = tmp_path / "other-root.pem"
    other_root.write_bytes(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    run = verify_offline(tmp_path, good.encoded, "--trust", str(directory), "--root", str(other_root))
    assert run.returncode == 1 and run.stdout.startswith("INVALID (trust_list_invalid)")


def test_missing_trust_directory_is_an_error(tmp_path):
    run = verify_offline(tmp_path, "INB1:00", "--trust", str(tmp_path / "nothing-here"))
    assert run.returncode != 0 and "root key" in run.stderr


def test_export_verifier_writes_a_standalone_page(tmp_path, issue, household_a1, capsys):
    issue(household_a1)
    target = tmp_path / "verifier.html"
    call_command("stamp", "export-verifier", str(target))
    html = target.read_text()
    assert "inminban-trust-data" in html and "crypto.subtle" in html
    assert "<script src" not in html and "<link" not in html  # nothing to fetch: it works offline
