from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "inminban.api"
    verbose_name = "API access"

    def ready(self):
        from . import jobs  # noqa: F401  (registers the idempotency purge and its schedule)
