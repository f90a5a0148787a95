from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "inminban.registry"
    verbose_name = "Household registry"

    def ready(self):
        from . import jobs  # noqa: F401  (registers the daily purge of guests' details and its schedule)
