import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from inminban.jobs.runner import run_due, work, worker_name


class Command(BaseCommand):
    help = (
        "Tick in a loop: run what is due, sleep --interval seconds, again, until SIGTERM or Ctrl-C (the job in hand "
        "is finished first; a second signal stops at once, and another worker takes the job over after its lease)."
    )
    # Cron runs this every minute on every machine: the system checks (which import every page and API module)
    # would cost more than the tick itself. Deployments run them in `migrate` and `serve`.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds to sleep when nothing is due.")
        parser.add_argument("--once", action="store_true", help="Run what is due once and exit, like `tick`.")

    def handle(self, *args, interval, once, verbosity, **options):
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        worker = worker_name()
        if once:
            ran = run_due(worker=worker)
            if ran or verbosity >= 2:
                self.stdout.write(f"{worker}: ran {ran} job(s).")
            return
        stop = threading.Event()

        def on_signal(signum, frame):
            if stop.is_set():
                raise SystemExit(128 + signum)
            stop.set()
            self.stderr.write("Stopping after the job in hand (signal again to stop now).")

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.stdout.write(f"Worker {worker}: ticking every {interval:g} s; SIGTERM or Ctrl-C stops it.")
        self.stdout.flush()
        ran = work(worker=worker, stop=stop, interval=interval)
        self.stdout.write(f"Worker {worker} stopped after {ran} job(s).")
