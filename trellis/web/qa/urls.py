from django.urls import path

from trellis.web.qa import views

urlpatterns = [
    path("questions/", views.question_list, name="question-list"),
    path("questions/ask/", views.question_ask, name="question-ask"),
    path("questions/<int:pk>/", views.question_detail, name="question-detail"),
    path("questions/<int:pk>/answer/", views.answer_post, name="answer-post"),
    path("questions/<int:pk>/follow/", views.question_follow, name="question-follow"),
    path("questions/<int:pk>/close/", views.question_close, name="question-close"),
    path("questions/<int:pk>/reopen/", views.question_reopen, name="question-reopen"),
    path("c/<slug:slug>/questions/", views.community_questions, name="community-questions"),
    path(
        "c/<slug:slug>/conversations/",
        views.community_conversations,
        name="community-conversations",
    ),
    path("conversations/<int:pk>/", views.conversation_detail, name="conversation-detail"),
    path("posts/<int:pk>/comment/", views.comment_add, name="comment-add"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post-edit"),
    path("posts/<int:pk>/revisions/", views.post_revisions, name="post-revisions"),
    path("posts/<int:pk>/vote/", views.post_vote, name="post-vote"),
    path("posts/<int:pk>/thanks/", views.post_thank, name="post-thank"),
    path("answers/<int:pk>/accept/", views.answer_accept, name="answer-accept"),
]
