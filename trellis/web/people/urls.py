from django.urls import path

from trellis.web.people import views

urlpatterns = [
    path("people/", views.person_directory, name="person-directory"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("me/edit/", views.profile_edit, name="profile-edit"),
    path("admin/people/", views.admin_people, name="admin-people"),
    path("admin/people/<int:pk>/invite/", views.admin_invite, name="admin-invite"),
    path("admin/people/<int:pk>/unlock/", views.admin_unlock_signin, name="admin-unlock-signin"),
    path("admin/people/import/", views.admin_import, name="admin-import"),
    path("admin/people/<int:pk>/edit/", views.admin_person_edit, name="admin-person-edit"),
    path(
        "admin/people/<int:pk>/deactivate/",
        views.admin_person_deactivate,
        name="admin-person-deactivate",
    ),
    path(
        "admin/people/<int:pk>/reactivate/",
        views.admin_person_reactivate,
        name="admin-person-reactivate",
    ),
]
