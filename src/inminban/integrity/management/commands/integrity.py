"""`inminban integrity scan [--today YYYY-MM-DD]`: run the integrity scan now, in this process, and print how many
flags each pattern raised. The same scan the scheduled job ("integrity.scan") runs; safe to repeat."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from inminban.integrity.scan import integrity_scan


class Command(BaseCommand):
    help = "Integrity flags. `scan [--today YYYY-MM-DD]` looks for every enabled pattern and raises new flags."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        scan = actions.add_parser("scan", help="Look for every enabled pattern now (safe to repeat).")
        scan.add_argument("--today", help="Scan as of this day (YYYY-MM-DD) instead of today.")
        scan.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, action, **options):
        return getattr(self, f"handle_{action}")(**options)

    def handle_scan(self, *, today=None, no_progress=False, **options):
        day = None
        if today:
            try:
                day = date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today {today!r} is not a date written YYYY-MM-DD.") from None
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
            raised = integrity_scan(today=day, progress=report)
        finally:
            if progress.live.is_started:
                progress.stop()
        width = max(len(pattern) for pattern in raised)
        for pattern, count in raised.items():
            self.stdout.write(f"{pattern:<{width}}  {count:>6} raised")
        self.stdout.write(f"{'total':<{width}}  {sum(raised.values()):>6} raised")
