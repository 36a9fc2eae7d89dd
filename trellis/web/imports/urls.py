from django.urls import path

from trellis.web.imports import views

urlpatterns = [
    path("admin/imports/", views.import_list, name="import-list"),
    path("admin/imports/<int:pk>/", views.import_detail, name="import-detail"),
]
