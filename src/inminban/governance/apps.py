from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "inminban.governance"
    verbose_name = _("Governance")

    def ready(self):
        from . import jobs  # noqa: F401  (registers the closing, escalation and digest jobs)
