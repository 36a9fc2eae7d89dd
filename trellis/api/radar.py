"""The pitfall radar as JSON: a community's signals (all of them for its leaders and org admins,
the sponsor signal alone for its sponsors), the organisation's overview (org admins), and the
leaders' actions: snooze a signal with a reason, wake it, take its one-click fix.

A private community is not found (404) for anyone who may not see it; the radar is 403 for the
others who may see the community but not its radar. Nothing is computed here: the signals are
the nightly ones.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field, StrictStr, StringConstraints

from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import NO_NUL, Input, SlugPath
from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden
from trellis.people.models import Person
from trellis.radar import fixes, selectors, services
from trellis.radar.services import SNOOZE_LONGEST, SNOOZE_REASON_MAX
from trellis.radar.signals import PITFALLS

router = Router(tags=["radar"])

CommunitySlug = PathEx[SlugPath, P(description="The community's slug.")]
Pitfall = Literal[
    "meetings_without_practice", "leader_burnout", "sponsor_disengagement", "stagnation"
]
FixKey = Literal[
    "rotation", "core-team", "renewal-circle", "working-circle", "outside-speaker",
    "challenge", "show-and-tell",
]  # fmt: skip
PitfallPath = PathEx[Pitfall, P(description="The pitfall: " + ", ".join(PITFALLS) + ".")]


class EvidenceOut(Schema):
    key: str = Field(description="The indicator, e.g. share, rotation, report, newcomers.")
    text: str = Field(description="What it shows, in a sentence with its figures.")
    strength: float = Field(description="How strongly it points at the pitfall, 0 to 1.")


class CoursePointOut(Schema):
    month: str = Field(description="YYYY-MM")
    score: float
    raised: bool


class SnoozeOut(Schema):
    reason: str
    until: date
    by: str | None = Field(description="Who snoozed it (null: someone no longer here).")


class FixOfferOut(Schema):
    key: str = Field(description="Pass as `fix` to take this one.")
    label: str
    does: str = Field(description="What one click does.")
    involves: list[str] = Field(description="Who or what it would involve, with the evidence.")
    refused: str | None = Field(description="Why it cannot be taken now (null: it can).")


class SignalOut(Schema):
    pitfall: Pitfall
    title: str
    meaning: str = Field(description="What the pitfall means for the community.")
    month: str = Field(description="The last whole month read (YYYY-MM).")
    score: float = Field(description="0 to 1.")
    threshold: float = Field(description="Raised at or above this score.")
    raised: bool
    evidence: list[EvidenceOut] = Field(description="Strongest first; empty when quiet.")
    course: list[CoursePointOut] = Field(description="The score by month, oldest first.")
    snooze: SnoozeOut | None
    fix: str | None = Field(description="The main one-click fix, when raised and you lead.")
    fixes: list[FixOfferOut] = Field(description="Every fix offered, the main one first.")


class RadarOut(Schema):
    community: str = Field(description="The community's slug.")
    month: str | None = Field(description="YYYY-MM; null when nothing is computed yet.")
    computed_at: datetime | None
    signals: list[SignalOut]


class OrgRowOut(Schema):
    community: str
    name: str
    raised: list[str] = Field(description="Titles of the raised signals not snoozed.")
    snoozed: list[str]


class OrgRadarOut(Schema):
    month: str | None
    communities: list[OrgRowOut] = Field(description="The most worrying first.")


class SnoozeIn(Input):
    reason: Annotated[
        StrictStr, StringConstraints(min_length=1, max_length=SNOOZE_REASON_MAX, pattern=NO_NUL)
    ] = Field(description="Why it can wait: the other leaders read it.")
    until: date = Field(description=f"A day after today, at most {SNOOZE_LONGEST.days} days ahead.")


class FixOut(Schema):
    done: str = Field(description="What was done, in a sentence.")


def _community(me: Person, slug: str) -> Community:
    community = community_selectors.community_get(viewer=me, slug=slug)
    if not selectors.visible_pitfalls(viewer=me, community=community):
        raise Forbidden(
            "The radar is for the community's leaders (and its sponsors, for their part)."
        )
    return community


def _acting(me: Person, slug: str) -> Community:
    community = community_selectors.community_get(viewer=me, slug=slug)
    if not access.can_act_on_radar(me, community):
        raise Forbidden("Only the community's leaders act on its radar.")
    return community


def _out(me: Person, community: Community) -> dict[str, Any]:
    page = selectors.community_radar(viewer=me, community=community)
    signals = []
    for s in page.signals:
        offer = fixes.offer_for(s.pitfall)
        signals.append(
            {
                "pitfall": s.pitfall,
                "title": s.title,
                "meaning": s.meaning,
                "month": f"{s.month:%Y-%m}",
                "score": s.score,
                "threshold": s.threshold,
                "raised": s.raised,
                "evidence": [
                    {"key": e["key"], "text": e["text"], "strength": e.get("strength", 0)}
                    for e in s.evidence
                ],
                "course": [
                    {"month": f"{p.month:%Y-%m}", "score": p.score, "raised": p.raised}
                    for p in s.course
                ],
                "snooze": None
                if s.snooze is None
                else {
                    "reason": s.snooze.reason,
                    "until": s.snooze.until,
                    "by": s.snooze.snoozed_by.name if s.snooze.snoozed_by else None,
                },
                "fix": offer.label if offer and s.raised and page.may_act else None,
                "fixes": _fixes(me, community, s.pitfall)
                if s.raised and page.may_act and s.snooze is None
                else [],
            }
        )
    return {
        "community": community.slug,
        "month": f"{page.month:%Y-%m}" if page.month else None,
        "computed_at": page.computed_at,
        "signals": signals,
    }


def _fixes(me: Person, community: Community, pitfall: str) -> list[dict[str, Any]]:
    return [
        {
            "key": shown.offer.key,
            "label": shown.offer.label,
            "does": shown.offer.does,
            "involves": shown.preview.lines if shown.preview else [],
            "refused": shown.refused or None,
        }
        for shown in fixes.offers_shown(viewer=me, community=community, pitfall=pitfall)
    ]


@router.get(
    "/communities/{slug}/radar",
    response={200: RadarOut, **error_responses()},
    summary="A community's pitfall radar (its leaders and org admins; sponsors: their signal)",
    operation_id="radar_community",
)
def radar_community(request: HttpRequest, slug: CommunitySlug) -> dict[str, Any]:
    me = viewer(request)
    return _out(me, _community(me, slug))


@router.get(
    "/radar",
    response={200: OrgRadarOut, **error_responses()},
    summary="Every community's raised signals (org admins)",
    operation_id="radar_org",
)
def radar_org(request: HttpRequest) -> dict[str, Any]:
    me = viewer(request)
    if not access.can_view_org_radar(me):
        raise Forbidden("The organisation's radar is for org admins.")
    month, rows = selectors.org_radar()
    return {
        "month": f"{month:%Y-%m}" if month else None,
        "communities": [
            {
                "community": r.community.slug,
                "name": r.community.name,
                "raised": list(r.raised),
                "snoozed": list(r.snoozed),
            }
            for r in rows
        ],
    }


@router.put(
    "/communities/{slug}/radar/{pitfall}/snooze",
    response={200: RadarOut, **error_responses(conflict=True)},
    summary="Snooze a signal with a reason (leaders, org admins)",
    description="409 when `until` is not after today or more than 180 days ahead.",
    operation_id="radar_snooze",
)
def radar_snooze(
    request: HttpRequest, slug: CommunitySlug, pitfall: PitfallPath, payload: SnoozeIn
) -> dict[str, Any]:
    me = viewer(request)
    community = _acting(me, slug)
    with conflicts():  # the schema checked the request; the day depends on today
        services.radar_snooze(
            actor=me,
            community=community,
            pitfall=pitfall,
            reason=payload.reason,
            until=payload.until,
        )
    return _out(me, community)


@router.delete(
    "/communities/{slug}/radar/{pitfall}/snooze",
    response={204: None, **error_responses()},
    summary="Show a snoozed signal again (leaders, org admins)",
    operation_id="radar_wake",
)
def radar_wake(request: HttpRequest, slug: CommunitySlug, pitfall: PitfallPath) -> Reply[None]:
    me = viewer(request)
    services.radar_wake(actor=me, community=_acting(me, slug), pitfall=pitfall)
    return Reply(204, None)


@router.post(
    "/communities/{slug}/radar/{pitfall}/fix",
    response={200: FixOut, **error_responses(conflict=True)},
    summary="Take a signal's one-click fix (leaders, org admins)",
    description="`fix` chooses among the signal's fixes (`fixes` of the radar; the main one "
    "when omitted): rotation (propose a facilitation rotation, switched on if off); "
    "core-team (invite the active members growing inward to the core team); show-and-tell "
    "(invite the sponsors to the next show & tell, planned three weeks out if none, with the "
    "impact report); renewal-circle and working-circle (a circle two weeks out whose draft "
    "agenda is the longest-waiting open questions and the guides due for review); "
    "outside-speaker (invite a person with adjacent expertise from another community to a "
    "brown-bag); challenge (a workshop four weeks out on the questions nobody answered, "
    "members told). 409 when it cannot be taken now (no sponsor, nobody to invite, no "
    "unanswered question) or the signal does not offer that fix.",
    operation_id="radar_fix",
)
def radar_fix(
    request: HttpRequest, slug: CommunitySlug, pitfall: PitfallPath, fix: FixKey | None = None
) -> dict[str, Any]:
    me = viewer(request)
    community = _acting(me, slug)
    with conflicts():
        return {"done": fixes.fix_apply(actor=me, community=community, pitfall=pitfall, fix=fix)}
