from django.urls import path

from trellis.web.facilitation import views

urlpatterns = [
    path("c/<slug:slug>/rotation/", views.rotation, name="rotation"),
    path("c/<slug:slug>/rotation/volunteer/", views.rotation_volunteer, name="rotation-volunteer"),
    path("c/<slug:slug>/rotation/propose/", views.rotation_propose, name="rotation-propose"),
    path("rotation/events/<int:pk>/accept/", views.rotation_accept, name="rotation-accept"),
    path("rotation/events/<int:pk>/swap/", views.rotation_swap_ask, name="rotation-swap-ask"),
    path("rotation/swaps/<int:pk>/", views.rotation_swap_answer, name="rotation-swap-answer"),
]
