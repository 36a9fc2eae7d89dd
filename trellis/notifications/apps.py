from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "trellis.notifications"
    label = "notifications"
