from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "inminban.ops"
    verbose_name = "Operations"
