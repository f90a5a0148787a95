import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inminban.audit import witness
from inminban.audit.note import NoteError, parse_verifier_key
from inminban.audit.services import audit_checkpoint, audit_verifier_key, audit_verify


class Command(BaseCommand):
    help = (
        "Audit log. `verify [--checkpoint FILE …]` proves the hash chain intact and that it still holds each "
        "checkpoint kept outside the database, or names the first bad entry or the missing range; `checkpoint "
        "[--out FILE]` signs the log's head (a C2SP signed note); `key` prints the verifier key outside offices pin; "
        "`witness URL --state DIR` checks that a server's newest checkpoint extends the one kept in DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "checkpoint", "key", "witness"])
        parser.add_argument("url", nargs="?", help="witness: the server's address, e.g. https://inminban.example")
        parser.add_argument(
            "--checkpoint", action="append", default=[], metavar="FILE", help="verify: a checkpoint kept outside"
        )
        parser.add_argument("--out", metavar="FILE", help="checkpoint: write the signed note here, not to stdout")
        parser.add_argument("--key", metavar="VKEY", help="the verifier key to hold checkpoints to (or a file)")
        parser.add_argument("--state", metavar="DIR", help="witness: where the newest checkpoint seen is kept")

    def handle(self, *args, action, url, checkpoint, out, key, state, **options):
        verifier = _verifier(key) if key else None
        if action == "key":
            self.stdout.write(str(audit_verifier_key()))
        elif action == "checkpoint":
            self._checkpoint(out)
        elif action == "witness":
            if not url or not state:
                raise CommandError("witness needs the server's URL and --state DIR")
            self._witness(url, Path(state), verifier)
        else:
            self._verify(checkpoint, verifier)

    def _checkpoint(self, out: str | None) -> None:
        made = audit_checkpoint()
        from inminban.audit.models import AuditCheckpoint

        latest = made or AuditCheckpoint.objects.exclude(note="").order_by("-size").first()
        if latest is None:
            raise CommandError("The audit log is empty: nothing to checkpoint.")
        if out:
            Path(out).write_text(latest.note)
            state = "New checkpoint" if made else "No new entries; the latest checkpoint"
            self.stderr.write(f"{state} at entry {latest.size} written to {out}.")
        else:
            self.stdout.write(latest.note, ending="")

    def _verify(self, files: list[str], verifier) -> None:
        outside = []
        for name in files:
            try:
                outside.append((f"checkpoint {name}", Path(name).read_text()))
            except OSError as error:
                raise CommandError(f"Cannot read {name}: {error.strerror}") from None
        result = audit_verify(outside=outside, verifier=verifier)
        for line in result.proven:
            self.stdout.write(f"Proven — {line}.")
        for line in result.limits:
            self.stdout.write(f"Not proven: {line}")
        if result.ok:
            self.stdout.write(f"Audit log intact: {result.checked} entries verified.")
            return
        where = f"at entry {result.first_bad_seq}" if result.first_bad_seq else "(not an entry)"
        self.stderr.write(f"Audit log BROKEN {where}: {result.reason} ({result.checked} entries before it verified).")
        for line in result.problems[1:]:
            self.stderr.write(f"  also: {line}")
        sys.exit(1)

    def _witness(self, url: str, state: Path, verifier) -> None:
        try:
            outcome = witness.witness(url, state=state, verifier=verifier)
        except witness.Refused as refusal:
            self.stderr.write(f"REFUSED: {refusal}")
            sys.exit(1)
        except witness.Unreachable as error:
            self.stderr.write(f"Could not check {url}: {error}")
            sys.exit(2)
        for line in outcome.notes:
            self.stderr.write(line)
        self.stdout.write(outcome.summary)


def _verifier(text: str):
    try:
        text = Path(text).read_text()
    except OSError:
        pass  # not a file: the key itself
    try:
        return parse_verifier_key(text)
    except NoteError as error:
        raise CommandError(f"--key: {error}") from None
