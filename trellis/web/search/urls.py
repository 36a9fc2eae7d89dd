from django.urls import path

from trellis.web.search import views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/similar/", views.similar_panel, name="search-similar"),
    path("c/<slug:slug>/duplicates/", views.duplicate_queue, name="duplicate-queue"),
    path("c/<slug:slug>/duplicates/resolve/", views.duplicate_resolve, name="duplicate-resolve"),
    path("c/<slug:slug>/duplicates/undo/<int:pk>/", views.duplicate_undo, name="duplicate-undo"),
    path("search/related/<str:kind>/<int:pk>/", views.related_panel, name="search-related"),
]
