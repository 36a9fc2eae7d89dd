from django.urls import path

from trellis.web.stories import views

urlpatterns = [
    path("stories/tell/<slug:source>/<int:source_id>/", views.story_tell, name="story-tell"),
    path(
        "stories/not-now/<slug:source>/<int:source_id>/", views.story_dismiss, name="story-dismiss"
    ),
    path("stories/<int:pk>/", views.story_detail, name="story-detail"),
    path("stories/<int:pk>/curate/", views.story_curate, name="story-curate"),
    path("stories/<int:pk>/ask/", views.story_ask_detail, name="story-ask-detail"),
    path("stories/<int:pk>/detail/", views.story_add_detail, name="story-add-detail"),
    path("stories/<int:pk>/goal/", views.story_goal, name="story-goal"),
    path("events/<int:pk>/story-prompt/", views.event_prompt, name="story-event-prompt"),
    path("library/<int:pk>/helped/", views.resource_helped, name="resource-helped"),
    path("c/<slug:slug>/stories/", views.community_stories, name="community-stories"),
    path("c/<slug:slug>/goals/", views.goal_create, name="goal-create"),
    path("goals/<int:pk>/retire/", views.goal_retire, name="goal-retire"),
]
