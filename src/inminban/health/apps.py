import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "inminban.health"
    verbose_name = _("Health checks")

    def ready(self):
        # `inminban stays purge` erases guests' details from every table: the names of unregistered guests recorded
        # at a check are among them. Registered here, so that the registry app does not import the health app.
        if importlib.util.find_spec("inminban.registry.stays") is None:
            return  # the stays services are not there (yet): nothing to register with
        from inminban.registry import stays

        from .services import guest_names_purge

        register = getattr(stays, "stay_purge_hook_register", None)
        hooks = getattr(stays, "STAY_PURGE_HOOKS", None)
        if register is not None:
            register(guest_names_purge)
        elif hooks is not None and guest_names_purge not in hooks:
            hooks.append(guest_names_purge)
