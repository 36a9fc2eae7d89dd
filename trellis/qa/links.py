"""Where a question, or an answer on its page, is on the site (for notifications and links)."""

from django.urls import reverse


def question_url(question_id: int, answer_id: int | None = None) -> str:
    url = reverse("question-detail", args=[question_id])
    return f"{url}#answer-{answer_id}" if answer_id else url
