"""`{{ text|markdown }}`: Markdown written by people (a community's charter), rendered and
sanitised as posts are, for the places that store no rendered copy."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from trellis.core.text import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return mark_safe(render_markdown(text or ""))  # noqa: S308  (sanitize_html made it safe)
