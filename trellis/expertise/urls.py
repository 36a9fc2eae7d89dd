from django.urls import path

from trellis.expertise import views

urlpatterns = [
    path("people/who-knows/", views.who_knows, name="who-knows"),
    path("me/availability/", views.availability_edit, name="availability-edit"),
]
