from django.apps import AppConfig


class AgendasConfig(AppConfig):
    name = "trellis.agendas"
    label = "agendas"
    default_auto_field = "django.db.models.BigAutoField"
