from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "inminban.accounts"
    verbose_name = _("Accounts and logins")

    def ready(self):
        from . import receivers  # noqa: F401  (audits django-axes' lockouts)
