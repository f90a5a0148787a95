from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "inminban.areas"
    verbose_name = "Areas and access"
