from django.apps import AppConfig


class ExpertiseConfig(AppConfig):
    name = "trellis.expertise"
    label = "expertise"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Expertise follows what qa, library, communities and search announce (core/hooks.py)."""
        from trellis.core import hooks
        from trellis.expertise import dispatch, services

        hooks.contributions_changed.connect(services.evidence_refresh_after_commit)
        hooks.question_asked.connect(services.routing_after_commit)
        hooks.question_answered.connect(dispatch.routing_answered)
        hooks.question_closed.connect(dispatch.routing_closed)
        hooks.community_visibility_changed.connect(services.topics_after_visibility_change)
        hooks.vectors_refreshed.connect(services.topics_learn_after_commit)
