from django.urls import path

from trellis.web.agendas import views

urlpatterns = [
    path("events/<int:pk>/agenda/", views.agenda_detail, name="agenda-detail"),
    path("events/<int:pk>/agenda/propose/", views.agenda_propose, name="agenda-propose"),
    path("events/<int:pk>/agenda/build/", views.agenda_build, name="agenda-build"),
    path("events/<int:pk>/agenda/items/", views.agenda_item_add, name="agenda-item-add"),
    path("events/<int:pk>/agenda/publish/", views.agenda_publish, name="agenda-publish"),
    path("events/<int:pk>/agenda/notes/", views.agenda_notes, name="agenda-notes"),
    path("agenda/topics/<int:pk>/vote/", views.agenda_vote, name="agenda-vote"),
    path("agenda/items/<int:pk>/move/", views.agenda_item_move, name="agenda-item-move"),
    path("agenda/items/<int:pk>/", views.agenda_item_update, name="agenda-item-update"),
    path("agenda/items/<int:pk>/remove/", views.agenda_item_remove, name="agenda-item-remove"),
    path("c/<slug:slug>/features/", views.community_features, name="community-features"),
]
