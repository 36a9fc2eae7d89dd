from django.urls import URLPattern, path

from trellis.web.radar import views

urlpatterns: list[URLPattern] = [
    path("c/<slug:slug>/radar/", views.community_radar, name="community-radar"),
    path("c/<slug:slug>/radar/<slug:pitfall>/snooze/", views.radar_snooze, name="radar-snooze"),
    path("c/<slug:slug>/radar/<slug:pitfall>/wake/", views.radar_wake, name="radar-wake"),
    path("c/<slug:slug>/radar/<slug:pitfall>/fix/", views.radar_fix, name="radar-fix"),
    path("radar/", views.org_radar, name="org-radar"),
]
