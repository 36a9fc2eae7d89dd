from django.urls import path

from trellis.web.mentoring import views

urlpatterns = [
    path("mentoring/", views.mentor_find, name="mentor-find"),
    path("mentoring/request/", views.mentorship_propose, name="mentorship-propose"),
    path("me/mentorships/", views.mentorship_list, name="mentorship-list"),
    path("mentorships/<int:pk>/respond/", views.mentorship_respond, name="mentorship-respond"),
    path("mentorships/<int:pk>/end/", views.mentorship_end, name="mentorship-end"),
    path("me/mentoring/", views.mentor_offer_edit, name="mentor-offer-edit"),
    path("admin/mentoring/", views.mentoring_cohort, name="mentoring-cohort"),
]
