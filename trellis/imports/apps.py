from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "trellis.imports"
    label = "imports"

    def ready(self) -> None:
        from trellis.core.worker import on_give_up
        from trellis.imports.tasks import abandon_import, run_import

        # An import given up by the worker is marked failed and its files removed.
        on_give_up(run_import.module_path, abandon_import)
