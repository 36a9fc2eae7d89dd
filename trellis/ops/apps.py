from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The top floor: what runs and seeds an installation (the demo organisation, the
    scheduler's job table, operators' commands). It may import every app; none imports it."""

    name = "trellis.ops"
    label = "ops"
