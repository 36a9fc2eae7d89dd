from django.urls import URLPattern, path

from trellis.web.insights import champions_views, health_views, silo_views, views

urlpatterns: list[URLPattern] = [
    path(
        "c/<slug:slug>/participation/",
        views.community_participation,
        name="community-participation",
    ),
    path("participation/", views.org_participation, name="org-participation"),
    path("me/insights.json", views.my_insights, name="my-insights"),
    path("c/<slug:slug>/health/", health_views.community_health, name="community-health"),
    path("health/", health_views.org_health, name="org-health"),
    path(
        "c/<slug:slug>/health.csv", health_views.community_health_csv, name="community-health-csv"
    ),
    path("health.csv", health_views.org_health_csv, name="org-health-csv"),
    path(
        "c/<slug:slug>/champions/",
        champions_views.community_champions,
        name="community-champions",
    ),
    path("champions/", champions_views.org_champions, name="org-champions"),
    path("c/<slug:slug>/silos/", silo_views.community_silos, name="community-silos"),
    path("silos/", silo_views.org_silos, name="org-silos"),
]
