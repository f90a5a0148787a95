from django.core.management.base import BaseCommand, CommandError

from inminban.ops.backup import BackupError, backup_create

from ._passphrase import passphrase_from


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite: online backup API; PostgreSQL: pg_dump custom format) and the keys directory "
        "into FILE, sealed with a passphrase with --encrypt or --passphrase-file. See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--encrypt", action="store_true", help="Ask for a passphrase and seal the backup.")
        parser.add_argument("--passphrase-file", help="Seal with the passphrase in this file (for scripts).")

    def handle(self, *args, file, encrypt, passphrase_file, **options):
        passphrase = passphrase_from(passphrase_file, ask=encrypt, confirm=True)
        try:
            result = backup_create(file, passphrase=passphrase)
        except BackupError as error:
            raise CommandError(error.message) from None
        rows = sum(result.manifest["tables"].values())
        sealed = (
            "sealed with the passphrase" if result.sealed else "NOT encrypted: it holds the signing keys, keep it safe"
        )
        self.stdout.write(
            f"Backup written to {result.path} ({sealed}): {rows:,} rows in {len(result.manifest['tables'])} tables, "
            f"audit log at entry {result.manifest['audit_head']['size']}."
        )
