from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntitlementsConfig(AppConfig):
    name = "inminban.entitlements"
    verbose_name = _("Entitlements")

    def ready(self):
        from . import jobs  # noqa: F401  (registers the cycle job)
