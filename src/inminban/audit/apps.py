from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "inminban.audit"
    verbose_name = "Audit log"
