"""Permission flags of the page layout (base.html). Every page renders the layout, so no one
view passes these: each tag asks `core.access`, and the layout only tests the answer."""

from typing import Any

from django import template

from trellis.core import access

register = template.Library()


@register.simple_tag(takes_context=True)
def can_manage_people(context: dict[str, Any]) -> bool:
    """The top bar's Admin link: the people admin pages are for those who manage people."""
    user = context.get("user")
    return user is not None and access.can_manage_people(user)
