"""Backups: the database and the keys directory in one archive, optionally encrypted with a passphrase.

The archive is a tar file:

    manifest.json      format, database kind, when, Django's applied migrations, rows per table, audit log head
    database.sqlite3   SQLite: a consistent copy made with SQLite's online backup API (writers may go on)
    database.dump      PostgreSQL: `pg_dump --format=custom` (a consistent snapshot)
    keys/…             every file of the keys directory (office signing keys, the stamp root, the audit key)
    secret_key         the data directory's generated secret key, if the deployment uses one

With a passphrase it is sealed: a header (magic, scrypt salt and cost), then 1 MiB chunks, each AES-256-GCM with
its number and a last-chunk flag bound into the nonce and the associated data, so a chunk cannot be altered,
reordered, dropped or cut off the end unnoticed (the STREAM construction of Hoang, Reyhanitabar, Rogaway and
Vizár). The key comes from the passphrase through scrypt (n = 2^15, r = 8, p = 1).

Restoring puts the database and the keys back as they were: the restored log holds the same entries, so checkpoints
taken before the backup still verify against it (`inminban audit verify --checkpoint`)."""

import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.apps import apps
from django.conf import settings
from django.db import connection

from inminban.common.errors import DomainError
from inminban.common.keys import keys_dir

FORMAT = 1
MAGIC = b"INMINBAN-BACKUP-SEALED-1\n"
CHUNK = 1 << 20
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 15, 8, 1


class BackupError(DomainError):
    pass


# Sealing ----------------------------------------------------------------------------------------------------------


def _key(passphrase: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


def seal(source: Path, target: Path, passphrase: str) -> None:
    salt, prefix = os.urandom(16), os.urandom(7)
    aead = AESGCM(_key(passphrase, salt))
    with source.open("rb") as plain, _private_file(target) as sealed:
        sealed.write(MAGIC + struct.pack(">III", SCRYPT_N, SCRYPT_R, SCRYPT_P) + salt + prefix)
        counter, chunk = 0, plain.read(CHUNK)
        while True:
            following = plain.read(CHUNK)
            last = not following
            nonce = _nonce(prefix, counter, last)
            box = aead.encrypt(nonce, chunk, nonce)
            sealed.write(struct.pack(">I", len(box)) + box)
            if last:
                return
            counter, chunk = counter + 1, following


def unseal(source: Path, target: Path, passphrase: str) -> None:
    with source.open("rb") as sealed, _private_file(target) as plain:
        head = sealed.read(len(MAGIC) + 12 + 16 + 7)
        if not head.startswith(MAGIC) or len(head) < len(MAGIC) + 35:
            raise BackupError("file", "This is not a sealed Inminban backup.")
        n, r, p = struct.unpack(">III", head[len(MAGIC) : len(MAGIC) + 12])
        salt, prefix = head[len(MAGIC) + 12 : len(MAGIC) + 28], head[len(MAGIC) + 28 :]
        aead = AESGCM(_key(passphrase, salt, n, r, p))
        counter = 0
        while True:
            size = sealed.read(4)
            if len(size) < 4:
                raise BackupError("file", "The backup is cut short: its last part is missing.")
            box = sealed.read(struct.unpack(">I", size)[0])
            for last in (False, True):
                nonce = _nonce(prefix, counter, last)
                try:
                    plain.write(aead.decrypt(nonce, box, nonce))
                    break
                except InvalidTag:
                    continue
            else:
                if counter == 0:
                    raise BackupError("passphrase", "Wrong passphrase, or the backup was altered.")
                raise BackupError("file", f"The backup was altered (part {counter + 1} does not decrypt).")
            if last:
                if sealed.read(1):
                    raise BackupError("file", "The backup was altered: there is data after its last part.")
                return
            counter += 1


def is_sealed(path: Path | str) -> bool:
    with Path(path).open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _private_file(path: Path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "wb")


# What is in the database ------------------------------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    tables = sorted(model._meta.db_table for model in apps.get_models() if model._meta.managed)
    existing = set(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                counts[table] = cursor.fetchone()[0]
    return counts


def _migrations() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def _audit_head() -> dict:
    from inminban.audit.models import AuditEntry

    last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
    return {"size": last["seq"], "hash": last["hash"]} if last else {"size": 0, "hash": None}


# Backup -----------------------------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    sealed: bool
    manifest: dict


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump and pg_restore (the password through the environment, never argv)."""
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = os.environ.copy()
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError("database", f"{command[0]} is not installed (Debian: apt install postgresql-client).")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError("database", f"{command[0]} failed: {done.stderr.strip()[:500]}")


def backup_create(path: Path, *, passphrase: str | None = None) -> BackupResult:
    """Write a backup of the database and the keys to `path` (sealed with `passphrase` if given)."""
    path = Path(path)
    if path.exists():
        raise BackupError("file", f"{path} exists; choose a new file name.")
    manifest = {
        "format": FORMAT,
        "database": connection.vendor,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "migrations": _migrations(),
        "tables": table_counts(),
        "audit_head": _audit_head(),
    }
    with tempfile.TemporaryDirectory(prefix="inminban-backup-") as scratch:
        scratch = Path(scratch)
        if connection.vendor == "sqlite":
            database = scratch / "database.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(database)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
        else:
            database = scratch / "database.dump"
            args, env = _pg_environment()
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(database), *args], env)
        archive = scratch / "archive.tar"
        with tarfile.open(archive, "w") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(database, arcname=database.name)
            for key_file in sorted(keys_dir().glob("*")):
                if key_file.is_file():
                    tar.add(key_file, arcname=f"keys/{key_file.name}")
            secret = settings.DATA_DIR / "secret_key"
            if secret.is_file():
                tar.add(secret, arcname="secret_key")
        if passphrase:
            seal(archive, path, passphrase)
        else:
            with archive.open("rb") as source, _private_file(path) as target:
                shutil.copyfileobj(source, target)
    return BackupResult(path=path, sealed=bool(passphrase), manifest=manifest)


# Restore ----------------------------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    manifest: dict
    tables: dict[str, int]
    keys: list[str]

    @property
    def counts_match(self) -> bool:
        return self.tables == self.manifest["tables"]


def _database_is_empty() -> bool:
    return not (set(connection.introspection.table_names()) - {"django_migrations"})


def backup_restore(path: Path, *, passphrase: str | None = None, replace: bool = False) -> RestoreResult:
    """Put a backup's database and keys back. Refuses a database or keys that are not empty unless `replace`."""
    path = Path(path)
    if not path.is_file():
        raise BackupError("file", f"{path} is not a file.")
    with tempfile.TemporaryDirectory(prefix="inminban-restore-") as scratch:
        scratch = Path(scratch)
        archive = scratch / "archive.tar"
        if is_sealed(path):
            if not passphrase:
                raise BackupError("passphrase", "This backup is sealed: give its passphrase.")
            unseal(path, archive, passphrase)
        else:
            shutil.copyfile(path, archive)
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(scratch / "content", filter="data")
        except tarfile.TarError as error:
            raise BackupError("file", f"This is not an Inminban backup ({error}).") from None
        content = scratch / "content"
        try:
            manifest = json.loads((content / "manifest.json").read_text())
        except (OSError, ValueError):
            raise BackupError("file", "This is not an Inminban backup (no manifest).") from None
        if manifest.get("format") != FORMAT:
            raise BackupError("file", f"Backup format {manifest.get('format')} is not one this version reads.")
        if manifest.get("database") != connection.vendor:
            raise BackupError(
                "database",
                f"The backup is of a {manifest.get('database')} database; this deployment uses {connection.vendor}.",
            )
        if not replace and not _database_is_empty():
            raise BackupError("database", "The database is not empty; restore into an empty one, or --replace.")
        restored_keys = _restore_keys(content / "keys", replace=replace)
        if connection.vendor == "sqlite":
            _restore_sqlite(content / "database.sqlite3")
        else:
            args, env = _pg_environment()
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error", *args,
                  str(content / "database.dump")], env)  # fmt: skip
        secret = content / "secret_key"
        target_secret = settings.DATA_DIR / "secret_key"
        if secret.is_file() and (replace or not target_secret.exists()):
            shutil.copyfile(secret, target_secret)
            target_secret.chmod(0o600)
    connection.close()
    return RestoreResult(manifest=manifest, tables=table_counts(), keys=restored_keys)


def _restore_keys(source: Path, *, replace: bool) -> list[str]:
    target = keys_dir()
    names = sorted(item.name for item in source.glob("*")) if source.is_dir() else []
    clashes = [
        name
        for name in names
        if (target / name).exists() and (target / name).read_bytes() != (source / name).read_bytes()
    ]
    if clashes and not replace:
        raise BackupError("keys", f"{target} already holds other keys ({', '.join(clashes)}); --replace to overwrite.")
    for name in names:
        shutil.copyfile(source / name, target / name)
        (target / name).chmod(0o600)
    return names


def _restore_sqlite(source: Path) -> None:
    """Copy the backup into the configured database file through SQLite's backup API (so an open connection and
    the -wal file are handled by SQLite itself)."""
    connection.ensure_connection()
    backup = sqlite3.connect(source)
    try:
        backup.backup(connection.connection)
    finally:
        backup.close()
