from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "inminban.synth"
    verbose_name = "Synthetic population"

    def ready(self):
        from . import jobs  # noqa: F401  (registers the foreign-key check of large loads)
