from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "trellis.communities"
    label = "communities"
