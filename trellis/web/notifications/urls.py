from django.urls import path

from trellis.web.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.bell, name="notification-bell"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    path("notifications/settings/", views.notification_settings, name="notification-settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
