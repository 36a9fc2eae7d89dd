from django.apps import AppConfig


class RadarConfig(AppConfig):
    name = "trellis.radar"
    label = "radar"
    default_auto_field = "django.db.models.BigAutoField"
