"""Value-story pages: the prompt (inline with htmx, a page of its own without), a story,
a community's stories with the leaders' curation, its goals, and "this helped me" on a guide.

The pages where value happens include the prompt (`web/stories/prompts.py`).
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden, Invalid, NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors, report_error
from trellis.events import selectors as event_selectors
from trellis.library import selectors as library_selectors
from trellis.stories import selectors, services
from trellis.stories.models import Audience, Source, Story
from trellis.stories.selectors import Prompt
from trellis.web.stories.forms import (
    AskDetailForm,
    CurateForm,
    DetailForm,
    GoalForm,
    GoalLinkForm,
    StoryForm,
)
from trellis.web.stories.prompts import moment_hint, prompt_context, prompt_form_context

# -- telling --------------------------------------------------------------------------------


def _source(source: str) -> str:
    if source not in Source.values:
        raise Http404("No such moment.")
    return source


def _audience_words(story: Story) -> str:
    return {
        Audience.LEADERS: "the community's leaders and sponsors",
        Audience.MEMBERS: "the community's members",
        Audience.EVERYONE: "everyone who can see the community",
    }[Audience(story.audience)]


@require_http_methods(["GET", "POST"])
def story_tell(request: AuthedRequest, source: str, source_id: int) -> HttpResponse:
    """The prompt's form. With htmx, the prompt (with what is wrong) or the thanks come back in
    place; without, a page of its own and then back to where the value happened."""
    source = _source(source)
    viewer = request.user
    try:
        moment = selectors.moment_of(actor=viewer, source=source, source_id=source_id)
    except NotFound as error:
        raise Http404(error.message) from error
    except Invalid as error:
        messages.error(request, error.message)
        return redirect("home")
    prompt = Prompt(
        moment,
        selectors.goals_of(community=moment.community) if moment.community is not None else [],
    )
    form = StoryForm(request.POST or None, goals=prompt.goals)
    if request.method == "POST" and form.is_valid():
        try:
            story = services.story_tell(
                actor=viewer, source=source, source_id=source_id, fields=form.story_fields()
            )
        except (NotFound, Forbidden) as error:
            report_error(request, error)
            return redirect(moment.url)
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            thanks = f"Thank you: your story is told, for {_audience_words(story)} to read."
            if request.htmx:
                return render(request, "stories/_told.html", {"story": story, "thanks": thanks})
            messages.success(request, thanks)
            return redirect(moment.url)
    context = prompt_form_context(prompt, form)
    if request.htmx:
        return render(request, "stories/_prompt.html", context)
    return render(request, "stories/tell.html", context | {"nav": "stories"})


@require_POST
def story_dismiss(request: AuthedRequest, source: str, source_id: int) -> HttpResponse:
    services.story_dismiss(actor=request.user, source=_source(source), source_id=source_id)
    if request.htmx:
        return HttpResponse("")
    messages.info(request, "All right, we won't ask about this again.")
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "home")


@require_GET
def event_prompt(request: AuthedRequest, pk: int) -> HttpResponse:
    """The prompt after an event, loaded into its page (empty for those it is not for)."""
    try:
        event = event_selectors.event_get(viewer=request.user, event_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    prompt = selectors.event_prompt(viewer=request.user, event=event)
    if prompt is None:
        return HttpResponse("")
    return render(request, "stories/_prompt.html", prompt_form_context(prompt))


@require_POST
def resource_helped(request: AuthedRequest, pk: int) -> HttpResponse:
    """ "This helped me" on a guide; the prompt follows (in place with htmx)."""
    try:
        resource = library_selectors.resource_get(viewer=request.user, resource_id=pk)
        services.resource_helped(actor=request.user, resource=resource)
    except NotFound as error:
        raise Http404(error.message) from error
    except ServiceError as error:
        report_error(request, error)
        return redirect("resource-detail", pk=pk)
    prompt = selectors.prompt_for(viewer=request.user, source=Source.RESOURCE, source_id=pk)
    if request.htmx:
        context = prompt_context(prompt) | {"resource": resource, "helped": True}
        return render(request, "stories/_helped.html", context)
    moment_hint(request, Source.RESOURCE, pk)
    messages.success(request, "Glad it helped.")
    return redirect("resource-detail", pk=pk)


# -- a story, and its curation --------------------------------------------------------------


def _story(request: AuthedRequest, pk: int) -> Story:
    try:
        return selectors.story_get(viewer=request.user, story_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error


def _story_rights(viewer: Any, story: Story) -> dict[str, bool]:
    return {
        "can_curate": access.can_curate_stories_in(viewer, story.community),
        "can_add_detail": access.can_add_story_detail(viewer, story),
        "can_link_goal": access.can_link_story_to_goal(viewer, story, story.community),
    }


@require_GET
def story_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    story = _story(request, pk)
    goals = selectors.goals_of(community=story.community) if story.community else []
    context = {
        "nav": "communities",
        "story": story,
        "community": story.community,
        "teller": selectors.teller_name(story),
        "estimate": selectors.estimate_words(story),
        "audience": _audience_words(story),
        "goals": goals,
        "detail_form": DetailForm(),
        "ask_form": AskDetailForm(),
    } | _story_rights(request.user, story)
    return render(request, "stories/detail.html", context)


def _back(request: HttpRequest, story_id: int) -> HttpResponse:
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("story-detail", pk=story_id)


@require_POST
def story_curate(request: AuthedRequest, pk: int) -> HttpResponse:
    form = CurateForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid("Choose feature, unfeature, hide or unhide.")
        action = form.cleaned_data["action"]
        services.story_curate(actor=request.user, story_id=pk, action=action)
    except NotFound as error:
        raise Http404(error.message) from error
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(
            request,
            {
                "feature": "Featured: it will be in the sponsor's report.",
                "unfeature": "No longer featured.",
                "hide": "Hidden from everyone but its teller and the leaders.",
                "unhide": "Shown again.",
            }[action],
        )
    return _back(request, pk)


@require_POST
def story_ask_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    form = AskDetailForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid("Keep the question under 500 characters.")
        services.story_ask_detail(
            actor=request.user, story_id=pk, request=form.cleaned_data["request"]
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, "Asked. The teller hears by the bell and can add detail.")
    return _back(request, pk)


@require_POST
def story_add_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    form = DetailForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid("Write the detail you want to add (at most 2,000 characters).")
        services.story_add_detail(
            actor=request.user, story_id=pk, detail=form.cleaned_data["detail"]
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, "Thank you: the detail is added to your story.")
    return redirect("story-detail", pk=pk)


@require_POST
def story_goal(request: AuthedRequest, pk: int) -> HttpResponse:
    form = GoalLinkForm(request.POST)
    goal_id = form.goal_id() if form.is_valid() else None
    try:
        services.story_set_goal(actor=request.user, story_id=pk, goal_id=goal_id)
    except NotFound as error:
        raise Http404(error.message) from error
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, "Linked." if goal_id else "No longer linked to a goal.")
    return _back(request, pk)


# -- a community's stories and goals --------------------------------------------------------


def _community(request: AuthedRequest, slug: str) -> Community:
    try:
        return community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404(error.message) from error


@require_GET
def community_stories(request: AuthedRequest, slug: str) -> HttpResponse:
    viewer = request.user
    community = _community(request, slug)
    show = request.GET.get("show", "all")
    show = show if show in selectors.SHOWS else "all"
    can_curate = access.can_curate_stories_in(viewer, community)
    if show == "hidden" and not can_curate:
        show = "all"
    stories = selectors.community_stories(viewer=viewer, community=community, show=show)
    rows = [
        {
            "story": s,
            "teller": selectors.teller_name(s),
            "estimate": selectors.estimate_words(s),
        }
        for s in stories
    ]
    context = {
        "nav": "communities",
        "community": community,
        "rows": rows,
        "show": show,
        "can_curate": can_curate,
        "can_manage_goals": access.can_manage_goals_in(viewer, community),
        "goals": selectors.goals_of(community=community),
        "goal_form": GoalForm(),
        "ask_form": AskDetailForm(),
        "here": request.get_full_path(),
    }
    return render(request, "stories/community.html", context)


@require_POST
def goal_create(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _community(request, slug)
    form = GoalForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid("Name the goal (at most 120 characters).")
        data = form.cleaned_data
        goal = services.goal_create(
            actor=request.user,
            community=community,
            name=data["name"],
            measure=data["measure"] or "",
            measure_text=data["measure_text"],
        )
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, f"“{goal.name}” is a goal of {community.name} now.")
    return redirect("community-stories", slug=community.slug)


@require_POST
def goal_retire(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        goal = services.goal_retire(actor=request.user, goal_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    except ServiceError as error:
        report_error(request, error)
        goal = selectors.goal_get(viewer=request.user, goal_id=pk)
    else:
        messages.success(request, f"“{goal.name}” is retired; its stories keep the link.")
    return redirect("community-stories", slug=goal.community.slug)
