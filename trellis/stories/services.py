"""Writes of value stories: telling one about a moment, "not now", "this helped me" on a
guide, the leaders' curation (feature, hide, ask for detail), the teller's added detail, and
the goals a sponsor names.

Every write checks the whole input first and raises `Invalid` naming each wrong field, so an
absurd estimate writes nothing.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.library.models import Resource
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person
from trellis.stories import selectors
from trellis.stories.models import (
    MAX_COST,
    MAX_DETAIL_REQUEST,
    MAX_GOAL_MEASURE,
    MAX_GOAL_NAME,
    MAX_HOURS,
    MAX_MADE_POSSIBLE,
    MAX_TEXT,
    Audience,
    Cycle,
    Dismissal,
    Goal,
    Helped,
    Measure,
    Risk,
    Source,
    Story,
)

# The bell reads "Lena Leader asks for more detail on your value story: what did the guide
# change for your team?"
DETAIL_KIND: str = Kind.STORY_DETAIL

CURATE_ACTIONS = ("feature", "unfeature", "hide", "unhide")


@dataclass(frozen=True)
class StoryFields:
    """What a teller says. Numbers arrive as typed (the form's and the API's) or as text."""

    cycle: str
    text: str = ""
    hours_saved: Decimal | float | int | str | None = None
    cost_avoided: int | str | None = None
    risk_reduced: str = ""
    made_possible: str = ""
    audience: str = Audience.MEMBERS
    named: bool = True
    goal_id: int | None = None


def _hours(value: object, errors: dict[str, str]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        errors["hours_saved"] = "Hours saved must be a number, such as 3 or 1.5."
        return None
    if not hours.is_finite():
        errors["hours_saved"] = "Hours saved must be a number, such as 3 or 1.5."
    elif hours < 0:
        errors["hours_saved"] = "Hours saved can't be negative; leave it empty if none."
    elif hours > MAX_HOURS:
        errors["hours_saved"] = (
            f"At most {MAX_HOURS:,.0f} hours for one story (about a working year); "
            "a bigger figure belongs to a goal's measure, not one person's story."
        )
    else:
        return hours.quantize(Decimal("0.1"))
    return None


def _cost(value: object, errors: dict[str, str]) -> int | None:
    if value is None or value == "":
        return None
    try:
        cost = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        errors["cost_avoided"] = "Cost avoided must be a whole amount, such as 2500."
        return None
    if not cost.is_finite() or cost != cost.to_integral_value():
        errors["cost_avoided"] = "Cost avoided must be a whole amount, such as 2500."
    elif cost < 0:
        errors["cost_avoided"] = "Cost avoided can't be negative; leave it empty if none."
    elif cost > MAX_COST:
        errors["cost_avoided"] = (
            f"At most {selectors.currency()}{MAX_COST:,} for one story; a bigger figure is a "
            "budget line, not one person's story."
        )
    else:
        return int(cost)
    return None


def _cleaned(fields: StoryFields, community: Community | None) -> dict[str, object]:
    """The story's columns, or Invalid naming every field that is wrong at once."""
    errors: dict[str, str] = {}
    if fields.cycle not in Cycle.values:
        errors["cycle"] = "Choose what it helped you do."
    text = fields.text.strip()
    if len(text) > MAX_TEXT:
        errors["text"] = f"At most {MAX_TEXT:,} characters; a story is a paragraph or two."
    if "\x00" in text or "\x00" in fields.made_possible:
        errors["text"] = "The text has a character we can't store."
    hours = _hours(fields.hours_saved, errors)
    cost = _cost(fields.cost_avoided, errors)
    if fields.risk_reduced not in ("", *Risk.values):
        errors["risk_reduced"] = "Choose low, medium or high, or leave it empty."
    made_possible = fields.made_possible.strip()
    if len(made_possible) > MAX_MADE_POSSIBLE:
        errors["made_possible"] = f"At most {MAX_MADE_POSSIBLE} characters."
    if fields.audience not in Audience.values:
        errors["audience"] = "Choose who may read your story."
    goal = None
    if fields.goal_id is not None:
        goal = Goal.objects.filter(
            pk=fields.goal_id, community=community, retired_at__isnull=True
        ).first()
        if goal is None:
            errors["goal"] = "Choose one of this community's goals, or none."
    if errors:
        first = next(iter(errors.values()))
        raise Invalid(f"Your story was not saved: {first}", field_errors=errors)
    return {
        "cycle": fields.cycle,
        "text": text,
        "hours_saved": hours,
        "cost_avoided": cost,
        "risk_reduced": fields.risk_reduced,
        "made_possible": made_possible,
        "audience": fields.audience,
        "named": bool(fields.named),
        "goal": goal,
    }


def story_tell(*, actor: Person, source: str, source_id: int, fields: StoryFields) -> Story:
    """Tell what a moment helped you do. One story per person per moment."""
    moment = selectors.moment_of(actor=actor, source=source, source_id=source_id)
    if not access.can_tell_story_in(actor, moment.community):
        raise Forbidden("This community is archived; it takes no more stories.")
    columns = _cleaned(fields, moment.community)
    try:
        with transaction.atomic():
            story = Story.objects.create(
                community=moment.community,
                teller=actor,
                source=moment.source,
                source_id=moment.source_id,
                source_title=moment.about or moment.title,
                **columns,
            )
            activity_record(
                actor=actor,
                verb="story.tell",
                obj=story,
                community_id=story.community_id,
            )
    except IntegrityError as error:
        raise Invalid(
            "You already told a story about this; add to it on its page instead."
        ) from error
    return story


def story_dismiss(*, actor: Person, source: str, source_id: int) -> None:
    """ "Not now": the question about this moment is not asked again."""
    if source not in Source.values:
        raise Invalid("Not a kind of moment we know.", field_errors={"source": "Unknown."})
    Dismissal.objects.get_or_create(person=actor, source=source, source_id=source_id)


def resource_helped(*, actor: Person, resource: Resource) -> bool:
    """ "This helped me" on a guide (once each); returns whether this was new."""
    if not access.can_contribute_in(actor, resource.community):
        raise NotFound("No such resource.")
    try:
        with transaction.atomic():
            Helped.objects.create(person=actor, resource=resource)
            activity_record(
                actor=actor,
                verb="resource.helped",
                obj=resource,
                community_id=resource.community_id,
            )
    except IntegrityError:
        return False
    return True


def _locked(actor: Person, story_id: int) -> Story:
    story = (
        Story.objects.select_for_update()
        .filter(access.visible_stories_filter(actor), pk=story_id)
        .first()
    )
    if story is None:
        raise NotFound("No such story.")
    story.community = (
        Community.objects.filter(pk=story.community_id).first() if story.community_id else None
    )
    return story


def story_curate(*, actor: Person, story_id: int, action: str) -> Story:
    """Feature (what the sponsor's report shows), hide (from everyone but its teller and the
    leaders), or undo either. A hidden story is not featured."""
    if action not in CURATE_ACTIONS:
        raise Invalid("Choose feature, unfeature, hide or unhide.")
    with transaction.atomic():
        story = _locked(actor, story_id)
        if not access.can_curate_stories_in(actor, story.community):
            raise Forbidden("Only the community's leaders curate its stories.")
        now = timezone.now()
        if action == "feature":
            if story.is_hidden:
                raise Invalid("This story is hidden; show it again before featuring it.")
            story.featured_at, story.featured_by = story.featured_at or now, actor
        elif action == "unfeature":
            story.featured_at, story.featured_by = None, None
        elif action == "hide":
            story.hidden_at, story.hidden_by = story.hidden_at or now, actor
            story.featured_at, story.featured_by = None, None
        else:
            story.hidden_at, story.hidden_by = None, None
        story.save(update_fields=["featured_at", "featured_by", "hidden_at", "hidden_by"])
        activity_record(
            actor=actor, verb=f"story.{action}", obj=story, community_id=story.community_id
        )
    return story


def story_ask_detail(*, actor: Person, story_id: int, request: str) -> Story:
    """Ask the teller to say more (what it saved, who else it helped); they hear by bell."""
    request = request.strip()
    if len(request) > MAX_DETAIL_REQUEST:
        raise Invalid(
            f"At most {MAX_DETAIL_REQUEST} characters.",
            field_errors={"request": f"At most {MAX_DETAIL_REQUEST} characters."},
        )
    with transaction.atomic():
        story = _locked(actor, story_id)
        if not access.can_curate_stories_in(actor, story.community):
            raise Forbidden("Only the community's leaders ask for detail on its stories.")
        if access.is_self(actor, story.teller_id):
            raise Invalid("This is your own story: add the detail yourself.")
        story.detail_request = request or "Could you say a little more about what it helped?"
        story.detail_requested_at, story.detail_requested_by = timezone.now(), actor
        story.detail_added_at = None
        story.save(
            update_fields=[
                "detail_request",
                "detail_requested_at",
                "detail_requested_by",
                "detail_added_at",
            ]
        )
        activity_record(
            actor=actor, verb="story.ask_detail", obj=story, community_id=story.community_id
        )
        notify(
            recipients=[story.teller],
            kind=DETAIL_KIND,
            actor=actor,
            community=story.community,
            target_type="story",
            target_id=story.pk,
            title=story.detail_request,
            url=reverse("story-detail", args=[story.pk]),
        )
    return story


def story_add_detail(*, actor: Person, story_id: int, detail: str) -> Story:
    """The teller adds detail (asked for or not); it follows the story in the report."""
    detail = detail.strip()
    errors = {}
    if not detail:
        errors["detail"] = "Write the detail you want to add."
    elif len(detail) > MAX_TEXT:
        errors["detail"] = f"At most {MAX_TEXT:,} characters."
    elif "\x00" in detail:
        errors["detail"] = "The text has a character we can't store."
    if errors:
        raise Invalid(f"Nothing was added: {errors['detail']}", field_errors=errors)
    with transaction.atomic():
        story = _locked(actor, story_id)
        if not access.can_add_story_detail(actor, story):
            raise Forbidden("Only the person who told the story adds detail to it.")
        story.detail, story.detail_added_at = detail, timezone.now()
        story.save(update_fields=["detail", "detail_added_at"])
        activity_record(
            actor=actor, verb="story.add_detail", obj=story, community_id=story.community_id
        )
    return story


def story_set_goal(*, actor: Person, story_id: int, goal_id: int | None) -> Story:
    """Link the story to one of its community's goals (None: to none)."""
    with transaction.atomic():
        story = _locked(actor, story_id)
        if not access.can_link_story_to_goal(actor, story, story.community):
            raise Forbidden("Only the teller and the community's leaders link it to a goal.")
        goal = None
        if goal_id is not None:
            goal = Goal.objects.filter(
                pk=goal_id, community=story.community, retired_at__isnull=True
            ).first()
            if goal is None:
                raise Invalid(
                    "Choose one of this community's goals, or none.",
                    field_errors={"goal": "Not a goal of this community."},
                )
        story.goal = goal
        story.save(update_fields=["goal"])
        activity_record(actor=actor, verb="story.goal", obj=story, community_id=story.community_id)
    return story


# -- goals ----------------------------------------------------------------------------------


def goal_create(
    *, actor: Person, community: Community, name: str, measure: str = "", measure_text: str = ""
) -> Goal:
    """A business goal for the community, named by a sponsor or a leader, measured either by
    a figure Trellis computes (onboarding) or as described in words."""
    if not access.can_view_community(actor, community):
        raise NotFound("No such community.")
    if not access.can_manage_goals_in(actor, community):
        raise Forbidden("Only the community's sponsors and leaders name its goals.")
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "Name the goal, e.g. “Reduce onboarding time”."
    elif len(name) > MAX_GOAL_NAME:
        errors["name"] = f"At most {MAX_GOAL_NAME} characters."
    if measure not in Measure.values:
        errors["measure"] = "Choose how the goal is measured."
    measure_text = measure_text.strip()
    if len(measure_text) > MAX_GOAL_MEASURE:
        errors["measure_text"] = f"At most {MAX_GOAL_MEASURE} characters."
    if "\x00" in name or "\x00" in measure_text:
        errors["name"] = "The text has a character we can't store."
    if errors:
        first = next(iter(errors.values()))
        raise Invalid(f"The goal was not saved: {first}", field_errors=errors)
    try:
        with transaction.atomic():
            goal = Goal.objects.create(
                community=community,
                name=name,
                measure=measure,
                measure_text=measure_text,
                created_by=actor,
            )
            activity_record(actor=actor, verb="goal.create", obj=goal, community_id=community.pk)
    except IntegrityError as error:
        raise Invalid(
            "The community already has a goal of that name.",
            field_errors={"name": "The community already has a goal of that name."},
        ) from error
    return goal


def goal_retire(*, actor: Person, goal_id: int) -> Goal:
    """Retire a goal: its stories keep the link, new stories can't choose it."""
    goal = selectors.goal_get(viewer=actor, goal_id=goal_id)
    if not access.can_manage_goals_in(actor, goal.community):
        raise Forbidden("Only the community's sponsors and leaders retire its goals.")
    if goal.retired_at is None:
        goal.retired_at = timezone.now()
        goal.save(update_fields=["retired_at"])
        activity_record(actor=actor, verb="goal.retire", obj=goal, community_id=goal.community_id)
    return goal
