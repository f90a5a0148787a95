from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "inminban.api"
    verbose_name = "API access"

    def ready(self):
        from inminban.registry.stays import stay_purge_hook_register

        from . import jobs  # noqa: F401  (registers the idempotency purge and its schedule)
        from .idempotency import guest_answers_purge

        # The stored answers of the stays' writes repeat the guest's name: `inminban stays purge` erases them too.
        stay_purge_hook_register(guest_answers_purge)
