from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "inminban.api"
    verbose_name = "API access"
