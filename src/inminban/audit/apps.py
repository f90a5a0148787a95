from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "inminban.audit"
    verbose_name = "Audit log"

    def ready(self):
        from . import jobs  # noqa: F401  (registers the scheduled checkpoint)
