from django.urls import path

from trellis.search import views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/similar/", views.similar_panel, name="search-similar"),
]
