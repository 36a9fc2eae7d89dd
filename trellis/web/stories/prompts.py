"""The value-story prompt on the pages where value happens (a question whose answer was
accepted or a post thanked, a guide that helped, an event one went to).

`moment_hint` is how the action before the page (accepting, thanking, "this helped me") tells
the next page which moment to ask about, once: the question is asked right after the action
and not on every later visit.
"""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from trellis.core.web import AuthedRequest
from trellis.stories import selectors
from trellis.stories.selectors import Prompt
from trellis.web.stories.forms import StoryForm

HINT = "story_moment"


# -- the hook for the pages where value happens ---------------------------------------------


def moment_hint(request: HttpRequest, source: str, source_id: int) -> None:
    """Ask about this moment on the next page that can (after accepting, thanking...)."""
    request.session[HINT] = f"{source}:{source_id}"


def hinted_prompt(request: AuthedRequest, *candidates: tuple[str, int]) -> Prompt | None:
    """The prompt for the moment the last action named, if it is one of this page's."""
    hint = request.session.get(HINT)
    if not isinstance(hint, str):
        return None
    for source, source_id in candidates:
        if hint == f"{source}:{source_id}":
            del request.session[HINT]
            return selectors.prompt_for(viewer=request.user, source=source, source_id=source_id)
    return None


def prompt_form_context(prompt: Prompt, form: StoryForm | None = None) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "story_form": form or StoryForm(goals=prompt.goals),
        "tell_url": reverse("story-tell", args=[prompt.moment.source, prompt.moment.source_id]),
        "dismiss_url": reverse(
            "story-dismiss", args=[prompt.moment.source, prompt.moment.source_id]
        ),
    }


def prompt_context(prompt: Prompt | None) -> dict[str, Any]:
    """What `stories/_prompt.html` needs, for a page that includes it (empty: no prompt)."""
    return prompt_form_context(prompt) if prompt is not None else {"prompt": None}
