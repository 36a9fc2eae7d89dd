from django.urls import path

from trellis.web.library import views

urlpatterns = [
    path("library/", views.library, name="library"),
    path("library/new/", views.resource_create, name="resource-create"),
    path("library/<int:pk>/", views.resource_detail, name="resource-detail"),
    path("library/<int:pk>/edit/", views.resource_edit, name="resource-edit"),
    path("library/<int:pk>/versions/", views.resource_versions, name="resource-versions"),
    path("library/<int:pk>/verify/", views.resource_verify, name="resource-verify"),
    path("library/<int:pk>/obsolete/", views.resource_obsolete, name="resource-obsolete"),
    path("library/<int:pk>/duplicate/", views.resource_duplicate, name="resource-duplicate"),
    path("c/<slug:slug>/library/", views.community_library, name="community-library"),
    path("questions/<int:pk>/promote/", views.resource_promote, name="resource-promote"),
]
