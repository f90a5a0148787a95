"""`inminban cycle create|generate|approve|distribute|close|show`: ration cycles from the console.

Every write runs the same service as the web and the API, as the officer named by `--as`, so the permission
checks, maker–checker and the audit log apply unchanged."""

from datetime import date

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from inminban.common.errors import DomainError, NotPermitted, NotVisible
from inminban.entitlements import explain, selectors, services
from inminban.entitlements.models import Cycle


class Command(BaseCommand):
    help = "Create, compute, approve, distribute, close and show ration cycles."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="A new cycle of a program for one period.")
        create.add_argument("program", type=int, help="Program id.")
        create.add_argument("--period-start", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        create.add_argument("--period-end", type=date.fromisoformat, default=None, help="One-off programs only.")
        create.add_argument("--reference-date", type=date.fromisoformat, default=None)
        for name, text in (
            ("generate", "Compute the cycle now, in this process, with a progress bar."),
            ("approve", "Approve a computed cycle (another officer than the one who computed it)."),
            ("distribute", "Start distributing an approved cycle."),
            ("close", "Close a cycle after distribution."),
            ("show", "Totals, the rule, figures per area and the reasons for denials."),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("cycle", type=int, help="Cycle id.")
            if name == "generate":
                command.add_argument("--no-progress", action="store_true")
        for command in sub.choices.values():
            command.add_argument("--as", dest="username", required=True, help="The officer acting (username).")

    def handle(self, *args, action, username, **options):
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"--as: no active user named {username!r}.")
        try:
            if action == "create":
                program = selectors.program_detail(actor=actor, pk=options["program"])
                cycle = services.cycle_create(
                    actor=actor,
                    program=program,
                    period_start=options["period_start"],
                    period_end=options["period_end"],
                    reference_date=options["reference_date"],
                )
                self.stdout.write(f"Cycle {cycle.pk}: {cycle} ({cycle.status}).")
                return
            cycle = selectors.cycle_detail(actor=actor, pk=options["cycle"])
            if action == "generate":
                cycle = self._generate(actor, cycle, options["no_progress"])
            elif action == "approve":
                cycle = services.cycle_approve(actor=actor, cycle=cycle)
            elif action == "distribute":
                cycle = services.cycle_distribute(actor=actor, cycle=cycle)
            elif action == "close":
                cycle = services.cycle_close(actor=actor, cycle=cycle)
            self._show(actor, selectors.cycle_detail(actor=actor, pk=cycle.pk))
        except DomainError as error:
            raise CommandError(f"{error.field}: {error.message}") from error
        except NotVisible as error:
            raise CommandError(f"Not found (or not yours to see): {error}") from error
        except NotPermitted as error:
            raise CommandError(f"Not allowed: {error}") from error

    def _generate(self, actor, cycle: Cycle, no_progress: bool) -> Cycle:
        progress = Progress(
            TextColumn("[bold]Computing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ranges"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            disable=no_progress,
        )
        task = progress.add_task(str(cycle), total=None)

        def report(done: int, total: int, message: str = "") -> None:
            if not progress.live.is_started:
                progress.start()
            progress.update(task, completed=done, total=total)

        try:
            return services.cycle_generate(actor=actor, cycle=cycle, progress=report)
        finally:
            if progress.live.is_started:
                progress.stop()

    def _show(self, actor, cycle: Cycle) -> None:
        console = Console(file=self.stdout, highlight=False, width=120)
        kind = cycle.program.kind
        console.print(f"[bold]Cycle {cycle.pk}[/bold]: {cycle}  —  {cycle.get_status_display()}")
        console.print(f"Version {cycle.version.number}; reference date {cycle.reference_date:%Y-%m-%d}.")
        if cycle.snapshot:
            console.print(explain.cycle_sentence(cycle))
        console.print(
            f"Households {cycle.households:,}: entitled {cycle.entitled:,}, denied {cycle.denied:,}; "
            f"total {explain.amount_text(cycle.total_quantity, kind)}."
        )
        if cycle.generated_by_id:
            console.print(f"Computed by {cycle.generated_by.username} at {cycle.generated_at:%Y-%m-%d %H:%M}.")
        if cycle.approved_by_id:
            console.print(f"Approved by {cycle.approved_by.username} at {cycle.approved_at:%Y-%m-%d %H:%M}.")
        if cycle.status in (Cycle.Status.DRAFT, Cycle.Status.GENERATING):
            return
        table = Table("area", "households", "entitled", "denied", "quantity")
        for figure in selectors.cycle_figures(actor=actor, cycle=cycle):
            table.add_row(
                f"{figure.area.name_en} ({figure.area.code})",
                f"{figure.households:,}",
                f"{figure.entitled:,}",
                f"{figure.denied:,}",
                explain.amount_text(figure.quantity, kind),
            )
        console.print(table)
        denials = explain.denial_breakdown(cycle, selectors.denial_patterns(actor=actor, cycle=cycle))
        if denials:
            console.print("[bold]Why households were denied[/bold]")
            for phrase, count in denials:
                console.print(f"  {count:>8,}  {phrase}")
