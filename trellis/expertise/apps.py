from django.apps import AppConfig


class ExpertiseConfig(AppConfig):
    name = "trellis.expertise"
    label = "expertise"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Expertise follows what qa, library, communities and search announce (core/hooks.py)."""
        from trellis.core import hooks
        from trellis.expertise.services import evidence, routing, topics

        hooks.contributions_changed.connect(evidence.evidence_refresh_after_commit)
        hooks.question_asked.connect(routing.routing_after_commit)
        hooks.question_answered.connect(routing.routing_answered)
        hooks.question_closed.connect(routing.routing_closed)
        hooks.community_visibility_changed.connect(topics.topics_after_visibility_change)
        hooks.vectors_refreshed.connect(topics.topics_learn_after_commit)
