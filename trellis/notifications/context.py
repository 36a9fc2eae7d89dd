from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from trellis.notifications.selectors import unread_count


def bell(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the bell, counted only when a page actually shows it."""
    user = request.user
    return {"unread": SimpleLazyObject(lambda: unread_count(user))}
