from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "inminban.synth"
    verbose_name = "Synthetic population"
