from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Inminban with waitress (a production WSGI server; static files through WhiteNoise)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, threads, **options):
        from waitress import serve

        from inminban.wsgi import application

        self.stdout.write(f"Serving on http://{host}:{port}/ (data in {settings.DATA_DIR}); Ctrl-C stops.")
        serve(application, host=host, port=port, threads=threads, ident="inminban")
