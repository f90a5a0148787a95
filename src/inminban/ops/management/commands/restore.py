import sys

from django.core.management.base import BaseCommand, CommandError

from inminban.ops.backup import BackupError, backup_restore, is_sealed

from ._passphrase import passphrase_from


class Command(BaseCommand):
    help = (
        "Restore a backup made by `inminban backup` into this deployment's (empty) database and keys directory, "
        "then compare every table's rows with the backup's manifest. See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--passphrase-file", help="The passphrase of a sealed backup, in a file (else asked).")
        parser.add_argument("--replace", action="store_true", help="Overwrite a database and keys that are not empty.")

    def handle(self, *args, file, passphrase_file, replace, **options):
        try:
            sealed = is_sealed(file)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        passphrase = passphrase_from(passphrase_file, ask=sealed, confirm=False) if sealed else None
        try:
            result = backup_restore(file, passphrase=passphrase, replace=replace)
        except BackupError as error:
            raise CommandError(error.message) from None
        expected = result.manifest["tables"]
        differ = sorted(t for t in set(expected) | set(result.tables) if expected.get(t) != result.tables.get(t))
        self.stdout.write(
            f"Restored the backup of {result.manifest['created_at']}: {sum(result.tables.values()):,} rows, "
            f"{len(result.keys)} key files, audit log at entry {result.manifest['audit_head']['size']}."
        )
        if differ:
            self.stderr.write(f"Row counts differ from the backup's manifest in: {', '.join(differ)}")
            sys.exit(1)
        self.stdout.write("Every table has the rows the backup recorded. Next: inminban audit verify --checkpoint FILE")
