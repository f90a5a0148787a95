"""`inminban stamp verify|export|export-verifier|rotate`.

`verify` works offline from the exported files alone: it never opens the database (a ration counter or a school
runs it on a laptop with a copy of the trust directory), so the database modules are imported only by the other
actions."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inminban.stamps.offline import verifier_from_directory
from inminban.stamps.trust import TrustError


def _read_stamp(argument: str) -> str:
    if argument == "-":
        return sys.stdin.read()
    try:
        path = Path(argument)
        if path.is_file():
            return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        pass  # e.g. a stamp text too long to be a file name: it is the stamp itself
    return argument


class Command(BaseCommand):
    help = (
        "Stamps. `verify TEXT|FILE --trust DIR` checks a stamp offline (exit 0 valid, 1 not); "
        "`export DIR` writes the trust list, status lists and root public key; "
        "`export-verifier FILE` writes the standalone verifier page; `rotate OFFICE_CODE` makes a new office key."
    )
    # No system checks: `verify` must run without a database or a configured server.
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        verify = actions.add_parser("verify", help="Check a stamp offline against exported trust files.")
        verify.add_argument("stamp", help="The stamp text, a file holding it, or - for standard input.")
        verify.add_argument("--trust", required=True, type=Path, help="Directory written by `inminban stamp export`.")
        verify.add_argument("--root", type=Path, help="The pinned root public key (default: DIR/root-key.pem).")
        verify.add_argument("--at", help="Check as of this time (ISO 8601) instead of now.")
        verify.add_argument("--json", action="store_true", dest="as_json", help="Print the result as JSON.")
        export = actions.add_parser("export", help="Write the trust list, status lists and root public key.")
        export.add_argument("directory", type=Path)
        export_verifier = actions.add_parser("export-verifier", help="Write the standalone verifier HTML page.")
        export_verifier.add_argument("file", type=Path)
        rotate = actions.add_parser("rotate", help="Make a new signing key for an office (the old one stops signing).")
        rotate.add_argument("office_code")

    def handle(self, *args, action, **options):
        return getattr(self, f"handle_{action.replace('-', '_')}")(**options)

    def handle_verify(self, *, stamp, trust, root, at, as_json: bool = False, **options):
        now = None
        if at:
            try:
                now = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at {at!r} is not an ISO 8601 time.") from None
            now = now if now.tzinfo else now.replace(tzinfo=UTC)
        try:
            verifier = verifier_from_directory(trust, root_key_file=root)
        except TrustError as exc:
            raise CommandError(str(exc)) from None
        result = verifier.verify(_read_stamp(stamp), now=now)
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        elif result.ok:
            self.stdout.write(f"VALID: {result.message}")
            self._write_claims(result)
        else:
            self.stdout.write(f"INVALID ({result.reason}): {result.message}")
            if result.claims:
                self._write_claims(result)
        if not result.ok:
            sys.exit(1)

    def _write_claims(self, result) -> None:
        claims = result.claims.as_dict()
        if result.key:
            claims["office"] = f"{result.key.office_name} ({result.key.office})"
            claims["key"] = result.key.kid
        for name, value in claims.items():
            if value is not None and value != "":
                self.stdout.write(f"  {name.replace('_', ' '):<13} {value}")

    def handle_export(self, *, directory, **options):
        from inminban.stamps.documents import export_documents

        written = export_documents(directory)
        for path in written:
            self.stdout.write(f"wrote {path}")
        self.stdout.write(
            f"Verify with: inminban stamp verify TEXT --trust {directory}  "
            "(pin root-key.pem: give verifiers a copy they keep, not one they download with the lists)"
        )

    def handle_export_verifier(self, *, file, **options):
        from inminban.stamps.views import standalone_verifier_html

        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(standalone_verifier_html(), encoding="utf-8")
        days = settings.STAMP_STATUS_MAX_AGE_DAYS
        self.stdout.write(
            f"wrote {file} (open it in a browser; it works offline, and calls stamps valid for {days} days, until its"
            " status lists are too old: export it again before then)"
        )

    def handle_rotate(self, *, office_code, **options):
        from inminban.areas.models import Office
        from inminban.stamps.services import signing_key_rotate

        office = Office.objects.filter(code=office_code).first()
        if office is None:
            raise CommandError(f"No office with code {office_code!r}.")
        key = signing_key_rotate(actor=None, office=office)
        self.stdout.write(
            f"Office {office.code} now signs with key {key.kid} (valid until {key.valid_until:%Y-%m-%d}); "
            "re-export the trust list."
        )
