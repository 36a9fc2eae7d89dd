from django.apps import AppConfig


class ExpertiseConfig(AppConfig):
    name = "trellis.expertise"
    label = "expertise"
    default_auto_field = "django.db.models.BigAutoField"
