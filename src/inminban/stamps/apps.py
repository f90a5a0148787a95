from django.apps import AppConfig


class StampsConfig(AppConfig):
    name = "inminban.stamps"
    verbose_name = "Stamps"
