from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "inminban.registry"
    verbose_name = "Household registry"
