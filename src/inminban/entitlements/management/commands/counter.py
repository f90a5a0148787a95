"""`inminban counter pack|redeem|upload|status`: a ration counter that keeps working without its connection.

`pack COUNTER_CODE DIR` (with the database) writes what the counter needs; `redeem DIR VOUCHER` checks a voucher and
records the hand-out from the pack alone, `status DIR` shows what was recorded, and `upload DIR --url --token` sends
it to the server's batch endpoint once the connection is back. `redeem`, `status` and `upload` never open the
database: the database modules are imported only by `pack`."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inminban.entitlements.offline import (
    PackError,
    UploadError,
    amount_text,
    local_status,
    offline_redeem,
    pack_load,
    upload,
)


def _read_voucher(argument: str) -> str:
    if argument == "-":
        return sys.stdin.read()
    try:
        path = Path(argument)
        if path.is_file():
            return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        pass  # a voucher text too long to be a file name: it is the voucher itself
    return argument


class Command(BaseCommand):
    help = (
        "Offline ration counters. `pack COUNTER_CODE DIR` writes the counter's pack; `redeem DIR VOUCHER` checks a "
        "voucher and records the hand-out from the pack alone (exit 0 recorded, 1 refused); `status DIR` lists what "
        "was recorded; `upload DIR --url URL --token TOKEN` sends it to the server."
    )
    # No system checks: `redeem`, `status` and `upload` run on a counter's laptop with no database at all.
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        pack = actions.add_parser("pack", help="Write the counter's pack (trust files, cycles, vouchers) into DIR.")
        pack.add_argument("counter_code", help="The counter's code.")
        pack.add_argument("directory", type=Path)
        redeem = actions.add_parser("redeem", help="Check a voucher from the pack and record the hand-out.")
        redeem.add_argument("directory", type=Path)
        redeem.add_argument("voucher", help="The voucher text, a file holding it, or - for standard input.")
        redeem.add_argument("--quantity", type=int, help="Grams or won to hand out (default: all that is left).")
        redeem.add_argument("--clerk", default="", help="Who hands it out.")
        redeem.add_argument("--cycle", type=int, help="Refuse vouchers of any other cycle (its id).")
        redeem.add_argument("--check", action="store_true", help="Only check; record nothing.")
        redeem.add_argument("--json", action="store_true", dest="as_json")
        status = actions.add_parser("status", help="What this counter recorded, and what the uploads said.")
        status.add_argument("directory", type=Path)
        status.add_argument("--json", action="store_true", dest="as_json")
        send = actions.add_parser("upload", help="Send the recorded hand-outs to the server (safe to repeat).")
        send.add_argument("directory", type=Path)
        send.add_argument("--url", required=True, help="The server, e.g. https://inminban.example")
        send.add_argument("--token", required=True, help="A bearer token of a clerk of this counter.")
        send.add_argument("--batch", type=int, default=None, help="Redemptions per request.")

    def handle(self, *args, action, **options):
        return getattr(self, f"handle_{action}")(**options)

    def _pack(self, directory: Path):
        try:
            return pack_load(directory)
        except PackError as exc:
            raise CommandError(str(exc)) from None

    def handle_pack(self, *, counter_code, directory, **options):
        from inminban.entitlements.models import Counter
        from inminban.entitlements.offline import pack_write

        counter = Counter.objects.select_related("area", "office").filter(code=counter_code).first()
        if counter is None:
            raise CommandError(f"No counter with the code {counter_code!r}.")
        try:
            written = pack_write(counter, directory)
        except PackError as exc:
            raise CommandError(str(exc)) from None
        pack = pack_load(directory)
        open_cycles = [cycle for cycle in pack.cycles.values() if cycle["status"] != "closed"]
        self.stdout.write(
            f"Wrote the pack of {counter.name} ({counter.code}) into {directory}: {len(written)} files, "
            f"{len(open_cycles)} open cycle(s), {len(pack.vouchers):,} vouchers."
        )

    def handle_redeem(self, *, directory, voucher, quantity, clerk, cycle, check, as_json, **options):
        pack = self._pack(directory)
        text = _read_voucher(voucher).strip()
        if check:
            from inminban.entitlements.offline import offline_check

            result, record = offline_check(pack, text, cycle=cycle), None
        else:
            result, record = offline_redeem(pack, text, quantity=quantity, clerk=clerk, cycle=cycle)
        entry = result.entry or {}
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": result.ok,
                        "reason": result.reason,
                        "message": result.message,
                        "voucher": entry or None,
                        "left": result.left - (record["quantity"] if record else 0),
                        "redemption": record,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        elif not result.ok:
            self.stdout.write(f"REFUSED ({result.reason}): {result.message}")
        else:
            measure = result.measure
            household = f"household {entry['household']} ({entry.get('unit', '')})"
            if record is None:
                self.stdout.write(f"VALID: {household}, {amount_text(result.left, measure)} left.")
            else:
                left = result.left - record["quantity"]
                self.stdout.write(
                    f"REDEEMED: {amount_text(record['quantity'], measure)} to {household}; "
                    f"{amount_text(left, measure)} left. Redemption {record['id']}."
                )
        if not result.ok:
            sys.exit(1)

    def handle_status(self, *, directory, as_json, **options):
        pack = self._pack(directory)
        status = local_status(pack)
        if as_json:
            self.stdout.write(json.dumps(status, ensure_ascii=False, indent=2))
            return
        counter = status["counter"]
        self.stdout.write(f"Counter {counter['name']} ({counter['code']}), pack of {status['packed_at']}.")
        for cycle in status["cycles"]:
            self.stdout.write(
                f"  cycle {cycle['id']}: {cycle['program_en']} {cycle['period_start']}–{cycle['period_end']}"
                f" ({cycle['status']})"
            )
        self.stdout.write(f"{status['vouchers']:,} vouchers; {len(status['redemptions'])} hand-out(s) recorded here:")
        measures = {cycle["id"]: cycle["measure"] for cycle in status["cycles"]}
        for record in status["redemptions"]:
            amount = amount_text(int(record.get("quantity", 0)), measures.get(record.get("cycle"), "g"))
            self.stdout.write(
                f"  {record.get('handed_at', '')[:19]}  household {record.get('household', '?')}  {amount}"
                f"  {record.get('clerk') or '—'}  [{record['upload'] or 'not uploaded'}]  {record.get('id')}"
            )
        self.stdout.write(f"Not uploaded yet: {status['not_uploaded']}.")

    def handle_upload(self, *, directory, url, token, batch, **options):
        pack = self._pack(directory)
        try:
            totals = upload(pack, url=url, token=token, **({"batch": batch} if batch else {}))
        except UploadError as exc:
            raise CommandError(f"{exc} Nothing is lost: upload again later.") from None
        if not totals["sent"]:
            self.stdout.write("Nothing to upload: every hand-out recorded here is on the server already.")
            return
        self.stdout.write(
            f"Sent {totals['sent']}: recorded {totals['recorded']}, already recorded {totals['already_recorded']}, "
            f"conflicts {len(totals['conflicts'])}, refused {len(totals['refused'])}."
        )
        for conflict in totals["conflicts"]:
            other = conflict.get("conflict_with") or {}
            self.stdout.write(
                f"  conflict: {conflict['id']} ({conflict['counter']}, {conflict['handed_at']}, "
                f"{conflict['quantity_text']}) after {other.get('id', '—')} ({other.get('counter', '—')}, "
                f"{other.get('handed_at', '—')})"
            )
        for refused in totals["refused"]:
            self.stdout.write(f"  refused: {refused['id']} ({refused['reason']}): {refused['message']}")
