from django.apps import AppConfig


class FacilitationConfig(AppConfig):
    name = "trellis.facilitation"
    label = "facilitation"
    default_auto_field = "django.db.models.BigAutoField"
