from django.core.management.base import BaseCommand, CommandError

from inminban.jobs.runner import run_due, worker_name


class Command(BaseCommand):
    help = (
        "Run everything due once and exit: queue the jobs of due schedules, then run due jobs one after another. "
        "For cron or a systemd timer; safe on several machines at once. Quiet when nothing was due (-v 2 says so)."
    )
    # Cron runs this every minute on every machine: the system checks (which import every page and API module)
    # would cost more than the tick itself. Deployments run them in `migrate` and `serve`.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="Run at most N jobs.")

    def handle(self, *args, limit, verbosity, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        worker = worker_name()
        ran = run_due(worker=worker, limit=limit)
        if ran or verbosity >= 2:
            self.stdout.write(f"{worker}: ran {ran} job(s).")
