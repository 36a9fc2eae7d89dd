from django.urls import path

from trellis.web.expertise import views

urlpatterns = [
    path("people/who-knows/", views.who_knows, name="who-knows"),
    path("me/availability/", views.availability_edit, name="availability-edit"),
    path("me/requests/", views.routing_requests, name="routing-requests"),
    path("me/requests/<int:pk>/pass/", views.routing_pass, name="routing-pass"),
    path("questions/<int:pk>/connect/", views.question_connect, name="question-connect"),
    path("c/<slug:slug>/routing/", views.routing_load, name="routing-load"),
    path("routing/", views.routing_load_org, name="routing-load-org"),
    path("people/<int:pk>/endorse/", views.endorse, name="endorse"),
    path("people/<int:pk>/endorse/withdraw/", views.endorse_withdraw, name="endorse-withdraw"),
]
