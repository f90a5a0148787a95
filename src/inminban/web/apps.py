from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "inminban.web"
    verbose_name = "Web interface"
