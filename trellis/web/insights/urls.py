from django.urls import URLPattern, path

from trellis.web.insights import views

urlpatterns: list[URLPattern] = [
    path(
        "c/<slug:slug>/participation/",
        views.community_participation,
        name="community-participation",
    ),
    path("participation/", views.org_participation, name="org-participation"),
    path("me/insights.json", views.my_insights, name="my-insights"),
]
