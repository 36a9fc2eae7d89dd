from django.apps import AppConfig


class QaConfig(AppConfig):
    name = "trellis.qa"
    label = "qa"
    verbose_name = "Ask the Expert"
