from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "trellis.notifications"
    label = "notifications"

    def ready(self) -> None:
        from trellis.communities import hooks as community_hooks
        from trellis.notifications import joining

        community_hooks.join_requested.connect(joining.tell_team_of_request)
        community_hooks.join_request_decided.connect(joining.tell_requester_of_decision)
