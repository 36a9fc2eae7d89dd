"""Everything Trellis infers about a person, as one JSON document they can download: their
participation levels (every month, every scope), their standing with its reasons, and the
topics their answers and guides show. Their own data, so private communities they belong to
are named (and none they may not see now: help to one they left, or a guide of one they own
from outside); nobody else's data is in it."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.expertise import selectors as expertise_selectors
from trellis.insights import selectors
from trellis.insights.levels import LEVEL_LABELS, LEVEL_MEANINGS
from trellis.insights.models import InsightSnapshot, MonthlyLevel
from trellis.people.models import Person

ABOUT = (
    "Everything Trellis infers about you. Participation levels are computed each month from "
    "what the activity log recorded (what you wrote, read and came to); topics from your "
    "answers, guides and colleagues' endorsements; champion reasons from the help you gave "
    "(answers accepted, up-voted or thanked, guides and sessions that helped). Leaders of a "
    "community see the levels of its members; you always see your own."
)


def _standing(person: Person, community: Community | None) -> dict[str, Any] | None:
    standing = selectors.standing_of(person=person, community=community)
    if standing is None:
        return None
    return {
        "month": standing.month.strftime("%Y-%m"),
        "level": standing.level,
        "label": standing.label,
        "meaning": standing.meaning,
        "reasons": list(standing.reasons),
    }


def _champion(person: Person) -> list[dict[str, Any]]:
    """Where the person stands among the newest stored champions, in every scope, with the
    reasons: their own, so they are in it even if they chose not to be named to leaders."""
    snapshots = InsightSnapshot.objects.filter(kind=InsightSnapshot.CHAMPIONS)
    newest = snapshots.order_by("-month").values_list("month", flat=True).first()
    if newest is None:
        return []
    found = []
    visible = access.visible_community_filter(person)  # organisation-wide rows included
    for snapshot in snapshots.filter(visible, month=newest).select_related("community"):
        for rank, entry in enumerate(snapshot.figures.get("champions", []), start=1):
            if entry.get("person") != person.pk:
                continue
            found.append(
                {
                    "scope": snapshot.community.name if snapshot.community else "the organisation",
                    "community": snapshot.community.slug if snapshot.community else None,
                    "month": snapshot.month.strftime("%Y-%m"),
                    "rank": rank,
                    "score": entry.get("score"),
                    "reasons": list(entry.get("reasons", [])),
                    "recognised": entry.get("recognised"),
                }
            )
    return sorted(found, key=lambda row: (row["community"] is not None, row["scope"]))


def what_trellis_infers(*, person: Person, now: datetime | None = None) -> dict[str, Any]:
    rows = (
        MonthlyLevel.objects.filter(person=person)
        # A community they no longer may see (a private one they left) is not named to them.
        .filter(access.visible_community_filter(person))
        .select_related("community")
        .order_by("community__name", "month")
    )
    levels, communities = [], {}
    for row in rows:
        if row.community is not None:
            communities[row.community.pk] = row.community
        levels.append(
            {
                "scope": row.community.name if row.community else "the organisation",
                "community": row.community.slug if row.community else None,
                "month": row.month.strftime("%Y-%m"),
                "level": row.level,
                "label": LEVEL_LABELS[row.level],
                "meaning": LEVEL_MEANINGS[row.level],
                "contributions": row.contributions,
                "answers": row.answers,
                "reads": row.reads,
                "sessions_attended": row.attended,
                "sessions_facilitated": row.facilitated,
            }
        )
    standings = {"the organisation": _standing(person, None)}
    for community in sorted(communities.values(), key=lambda c: c.name):
        standings[community.name] = _standing(person, community)
    topics = expertise_selectors.person_topics(viewer=person, person=person, limit=50)
    learned = expertise_selectors.person_learned_topics(viewer=person, person=person, limit=50)
    return {
        "about": ABOUT,
        "person": {"name": person.name, "email": person.email},
        "generated_at": (now or timezone.now()).isoformat(timespec="seconds"),
        "standing": standings,
        "participation_levels": levels,
        "topics": [
            {
                "tag": t.tag,
                "answers": t.answers,
                "accepted_answers": t.accepted,
                "guides": t.guides,
                "endorsements": t.endorsements,
                "score": round(t.score, 3),
            }
            for t in topics
        ],
        "learned_topics": [
            {"topic": t.label, "answers": t.answers, "accepted_answers": t.accepted}
            for t in learned
        ],
        "champion": _champion(person),
    }
