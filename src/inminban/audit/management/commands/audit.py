import sys

from django.core.management.base import BaseCommand

from inminban.audit.services import audit_checkpoint, audit_verify


class Command(BaseCommand):
    help = "Audit log: `verify` proves the hash chain intact or names the first bad entry; `checkpoint` signs its head."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "checkpoint"])

    def handle(self, *args, action, **options):
        if action == "checkpoint":
            checkpoint = audit_checkpoint()
            if checkpoint is None:
                self.stdout.write("Nothing new to checkpoint.")
            else:
                self.stdout.write(
                    f"Checkpoint at entry {checkpoint.size}: root {checkpoint.root_hash} "
                    f"signed by key {checkpoint.key_id}"
                )
            return
        result = audit_verify()
        if result.ok:
            self.stdout.write(f"Audit log intact: {result.checked} entries verified.")
            return
        self.stderr.write(
            f"Audit log BROKEN at entry {result.first_bad_seq}: {result.reason} "
            f"({result.checked} entries before it verified)."
        )
        sys.exit(1)
