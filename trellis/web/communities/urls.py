from django.urls import path

from trellis.web.communities import views

urlpatterns = [
    path("", views.home, name="home"),
    path("communities/", views.community_directory, name="community-directory"),
    path("communities/new/", views.community_create, name="community-create"),
    path("c/<slug:slug>/", views.community_detail, name="community-detail"),
    path("c/<slug:slug>/join/", views.community_join, name="community-join"),
    path("c/<slug:slug>/leave/", views.community_leave, name="community-leave"),
    path("c/<slug:slug>/request/", views.community_request, name="community-request"),
    path("c/<slug:slug>/settings/", views.community_settings, name="community-settings"),
    path("c/<slug:slug>/invite/", views.community_invite, name="community-invite"),
    path(
        "c/<slug:slug>/members/<int:person_id>/role/", views.membership_role, name="membership-role"
    ),
    path(
        "c/<slug:slug>/members/<int:person_id>/remove/",
        views.membership_remove,
        name="membership-remove",
    ),
    path("c/<slug:slug>/sponsors/", views.sponsor_add, name="sponsor-add"),
    path(
        "c/<slug:slug>/sponsors/<int:person_id>/remove/",
        views.sponsor_remove,
        name="sponsor-remove",
    ),
    path(
        "requests/<int:request_id>/decide/", views.join_request_decide, name="join-request-decide"
    ),
    path(
        "invitations/<int:invitation_id>/respond/",
        views.invitation_respond,
        name="invitation-respond",
    ),
]
