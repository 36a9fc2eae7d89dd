from django.urls import URLPattern, path

from trellis.web.radar import discovery_views, views

urlpatterns: list[URLPattern] = [
    path("c/<slug:slug>/radar/", views.community_radar, name="community-radar"),
    path("c/<slug:slug>/radar/<slug:pitfall>/snooze/", views.radar_snooze, name="radar-snooze"),
    path("c/<slug:slug>/radar/<slug:pitfall>/wake/", views.radar_wake, name="radar-wake"),
    path("c/<slug:slug>/radar/<slug:pitfall>/fix/", views.radar_fix, name="radar-fix"),
    path("radar/", views.org_radar, name="org-radar"),
    path("discover/", discovery_views.discover, name="discover"),
    path("discover/<int:pk>/accept/", discovery_views.proposal_accept, name="proposal-accept"),
    path("discover/<int:pk>/dismiss/", discovery_views.proposal_dismiss, name="proposal-dismiss"),
]
