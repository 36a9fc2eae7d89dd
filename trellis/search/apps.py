from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "trellis.search"
    label = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Search follows what the services below it announce they wrote (core/hooks.py)."""
        from trellis.core import hooks
        from trellis.search import services

        hooks.content_changed.connect(services.documents_changed)
