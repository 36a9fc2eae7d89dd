from django.apps import AppConfig


class RadarConfig(AppConfig):
    name = "trellis.radar"
    label = "radar"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Discovery reads the vectors search writes: new ones, new proposals (core/hooks.py)."""
        from trellis.core import hooks
        from trellis.radar import discovery_services

        hooks.vectors_refreshed.connect(discovery_services.discovery_after_vectors)
