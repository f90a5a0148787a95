from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrityConfig(AppConfig):
    name = "inminban.integrity"
    verbose_name = _("Integrity flags")

    def ready(self):
        from . import jobs  # noqa: F401  (registers the scheduled scan)
