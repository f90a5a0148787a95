"""`inminban integrity scan [--today YYYY-MM-DD] [--days N | --all]`: run the integrity scan now, in this process,
and print how many flags each pattern raised. The same scan the scheduled job ("integrity.scan") runs, over the same
window (the records of the last INTEGRITY_SCAN_DAYS days) unless told otherwise; safe to repeat."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from inminban.integrity.scan import default_days, integrity_scan


class Command(BaseCommand):
    help = (
        "Integrity flags. `scan [--today YYYY-MM-DD] [--days N | --all]` looks for every enabled pattern in the "
        "records of the last N days (INMINBAN_INTEGRITY_SCAN_DAYS, 35) or of all history, and raises new flags."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        scan = actions.add_parser(
            "scan",
            help="Look for every enabled pattern now (safe to repeat).",
            description=(
                "Look for every enabled pattern in the records made or dated in the last N days (the window of the "
                "hourly scheduled scan), or in all history with --all, and raise the flags not raised yet. A rate "
                "over a fixed period (many waivers: a year) keeps its period whatever the window."
            ),
        )
        scan.add_argument("--today", help="Scan as of this day (YYYY-MM-DD) instead of today.")
        window = scan.add_mutually_exclusive_group()
        window.add_argument(
            "--days",
            metavar="N",
            help=(
                "Look at the records of the last N days (at least 1; default INMINBAN_INTEGRITY_SCAN_DAYS: "
                f"{default_days()})."
            ),
        )
        window.add_argument(
            "--all", action="store_true", dest="whole", help="Look at all history (slow on a big database)."
        )
        scan.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, action, **options):
        return getattr(self, f"handle_{action}")(**options)

    def handle_scan(self, *, today=None, days=None, whole=False, no_progress=False, **options):
        day = None
        if today:
            try:
                day = date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today {today!r} is not a date written YYYY-MM-DD.") from None
        window = None if whole else _days(days)
        progress = Progress(
            TextColumn("[bold]Integrity scan"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("patterns"),
            TimeElapsedColumn(),
            disable=no_progress or options.get("verbosity", 1) == 0,
        )
        task = progress.add_task("scan", total=None)

        def report(done: int, total: int, message: str = "") -> None:
            if not progress.live.is_started:
                progress.start()
            progress.update(task, completed=done, total=total)

        try:
            raised = integrity_scan(today=day, days=window, progress=report)
        finally:
            if progress.live.is_started:
                progress.stop()
        width = max(len(pattern) for pattern in raised)
        for pattern, count in raised.items():
            self.stdout.write(f"{pattern:<{width}}  {count:>6} raised")
        self.stdout.write(f"{'total':<{width}}  {sum(raised.values()):>6} raised")
        self.stdout.write("window: all history" if window is None else f"window: the last {window} days")


def _days(value: str | None) -> int:
    if value is None:
        return default_days()
    try:
        days = int(value)
    except ValueError:
        raise CommandError(f"--days {value!r} is not a whole number of days.") from None
    if days < 1:
        raise CommandError(f"--days {days} is not a window: at least 1 day (or --all for all history).")
    return days
