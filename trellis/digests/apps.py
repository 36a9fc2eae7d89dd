from django.apps import AppConfig


class DigestsConfig(AppConfig):
    """Daily and weekly digests. Apart from notifications because a digest reads questions and
    resources, which themselves notify: notifications sit below qa and library, digests above."""

    name = "trellis.digests"
    label = "digests"
