from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "inminban.jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        # Every app registers its job handlers this way: importing its jobs.py from ready().
        from . import jobs  # noqa: F401
