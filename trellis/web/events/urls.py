from django.urls import path

from trellis.web.events import views

urlpatterns = [
    path("events/", views.event_list, name="event-list"),
    path("events/new/", views.event_create, name="event-create"),
    path("events/<int:pk>/", views.event_detail, name="event-detail"),
    path("events/<int:pk>.ics", views.event_ics, name="event-ics"),
    path("events/<int:pk>/edit/", views.event_edit, name="event-edit"),
    path("events/<int:pk>/cancel/", views.event_cancel, name="event-cancel"),
    path("events/<int:pk>/rsvp/", views.event_rsvp, name="event-rsvp"),
    path("events/<int:pk>/attendance/", views.event_attendance, name="event-attendance"),
    path("c/<slug:slug>/events/", views.community_events, name="community-events"),
    path("me/calendar/", views.calendar_feeds, name="calendar-feeds"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]
