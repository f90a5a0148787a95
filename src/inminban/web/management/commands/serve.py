from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Inminban with waitress (a production WSGI server; static files through WhiteNoise). Runs background "
        "jobs in a worker thread too, ticking every 2 s, unless --no-worker (then run `inminban worker` or a cron "
        "`inminban tick` instead)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-worker", action="store_false", dest="worker", help="Do not run background jobs in this process."
        )

    def handle(self, *args, host, port, threads, worker, **options):
        from waitress import serve

        from inminban.jobs.runner import worker_name, worker_thread_start
        from inminban.wsgi import application

        stop = None
        if worker:
            _, stop = worker_thread_start(worker=worker_name(":serve"), interval=2.0)
        jobs = "background jobs in this process" if worker else "no background jobs (--no-worker)"
        self.stdout.write(f"Serving on http://{host}:{port}/ (data in {settings.DATA_DIR}; {jobs}); Ctrl-C stops.")
        try:
            serve(application, host=host, port=port, threads=threads, ident="inminban")
        finally:
            if stop is not None:
                stop.set()
