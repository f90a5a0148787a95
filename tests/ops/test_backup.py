"""Backup and restore, for real: the small demo city in a database of its own, backed up (sealed with a
passphrase), the database and the keys directory destroyed, the backup restored; then the same rows, the audit log
still holds the checkpoint taken before the backup, and stamps still verify offline."""

import json
import os
import shutil
import signal  # noqa: F401  (kept beside subprocess users for clarity of exit codes)
import struct
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from inminban.ops.backup import CHUNK, MAGIC, BackupError, seal, unseal

COUNTS = "import json; from inminban.ops.backup import table_counts; print(json.dumps(table_counts()))"
A_STAMP = (
    "from inminban.stamps.models import Stamp; from inminban.stamps.services import stamp_encoded; "
    "print(stamp_encoded(Stamp.objects.filter(revoked_at=None).order_by('id').first()))"
)
PASSPHRASE = "correct horse battery staple"


def _ok(done):
    assert done.returncode == 0, done.stderr
    return done.stdout


def _destroy(database) -> None:
    """The machine is lost: the database and the keys directory are gone."""
    if database.url.startswith("sqlite:"):
        name = Path(urlsplit(database.url).path)
        for path in (name, name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm")):
            path.unlink(missing_ok=True)
    else:
        name = urlsplit(database.url).path.lstrip("/")
        with psycopg.connect(urlunsplit(urlsplit(database.url)._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    shutil.rmtree(database.data_dir / "keys")


@pytest.fixture(scope="module")
def city(separate_database, tmp_path_factory):
    database = separate_database
    _ok(
        database.run(
            "shell", "--no-imports", "-c", "from inminban.synth.demo import SMALL, build_demo; build_demo(size=SMALL)"
        )
    )
    _ok(database.run("generate", "--households", "60", "--city", "BK", "--no-progress"))  # with stamps
    outside = tmp_path_factory.mktemp("outside")
    _ok(database.run("audit", "checkpoint", "--out", str(outside / "before.checkpoint")))
    _ok(database.run("stamp", "export", str(outside / "trust")))
    (outside / "passphrase").write_text(PASSPHRASE + "\n")
    return {
        "database": database,
        "outside": outside,
        "counts": json.loads(_ok(database.run("shell", "--no-imports", "-c", COUNTS))),
        "stamp": _ok(database.run("shell", "--no-imports", "-c", A_STAMP)).strip(),
    }


def test_a_sealed_backup_restored_on_an_empty_machine_has_the_same_rows_and_proofs(city):
    database, outside = city["database"], city["outside"]
    archive = outside / "inminban.backup"
    made = _ok(database.run("backup", str(archive), "--passphrase-file", str(outside / "passphrase")))
    assert "sealed with the passphrase" in made
    assert archive.read_bytes().startswith(MAGIC)
    assert archive.stat().st_mode & 0o777 == 0o600
    assert b"BEGIN PRIVATE KEY" not in archive.read_bytes()

    _destroy(database)
    wrong = outside / "wrong"
    wrong.write_text("not the passphrase at all")
    refused = database.run("restore", str(archive), "--passphrase-file", str(wrong))
    assert refused.returncode == 1 and "Wrong passphrase" in refused.stderr
    assert not (database.data_dir / "keys").exists() or not any((database.data_dir / "keys").iterdir())

    restored = _ok(database.run("restore", str(archive), "--passphrase-file", str(outside / "passphrase")))
    assert "Every table has the rows the backup recorded" in restored
    assert json.loads(_ok(database.run("shell", "--no-imports", "-c", COUNTS))) == city["counts"]
    verified = _ok(database.run("audit", "verify", "--checkpoint", str(outside / "before.checkpoint")))
    assert "are unchanged" in verified and "Audit log intact" in verified
    checked = database.run("stamp", "verify", city["stamp"], "--trust", str(outside / "trust"), "--json")
    assert json.loads(checked.stdout)["ok"] is True, checked.stdout + checked.stderr

    again = database.run("restore", str(archive), "--passphrase-file", str(outside / "passphrase"))
    assert again.returncode == 1 and "The database is not empty" in again.stderr


def test_an_unsealed_backup_refuses_a_file_that_exists(city):
    database, outside = city["database"], city["outside"]
    plain = outside / "plain.backup"
    assert "NOT encrypted" in _ok(database.run("backup", str(plain)))
    refused = database.run("backup", str(plain))
    assert refused.returncode == 1 and "exists; choose a new file name" in refused.stderr


# Sealing ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def sealed(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(os.urandom(CHUNK * 2 + 1000))  # three chunks
    box = tmp_path / "sealed"
    seal(plain, box, PASSPHRASE)
    return plain, box


def _chunks(box: Path) -> tuple[bytes, list[bytes]]:
    data = box.read_bytes()
    head, rest = data[: len(MAGIC) + 35], data[len(MAGIC) + 35 :]
    chunks = []
    while rest:
        (size,) = struct.unpack(">I", rest[:4])
        chunks.append(rest[: 4 + size])
        rest = rest[4 + size :]
    return head, chunks


def test_sealing_round_trips(sealed, tmp_path):
    plain, box = sealed
    unseal(box, tmp_path / "out", PASSPHRASE)
    assert (tmp_path / "out").read_bytes() == plain.read_bytes()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda head, chunks: head + b"".join(chunks[:-1]), "cut short"),
        (lambda head, chunks: head + chunks[1] + chunks[0] + chunks[2], "Wrong passphrase, or the backup was altered"),
        (lambda head, chunks: head + chunks[0] + chunks[2], "part 2 does not decrypt"),
        (lambda head, chunks: head + b"".join(chunks) + chunks[2], "data after its last part"),
        (lambda head, chunks: head + chunks[0] + chunks[1][:-1] + b"x" + chunks[2], "part 2 does not decrypt"),
    ],
)
def test_a_cut_reordered_or_altered_backup_is_refused(sealed, tmp_path, damage, message):
    _, box = sealed
    head, chunks = _chunks(box)
    box.write_bytes(damage(head, chunks))
    with pytest.raises(BackupError, match=message):
        unseal(box, tmp_path / "out", PASSPHRASE)
