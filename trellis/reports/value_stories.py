"""The value stories the report shows, read through the stories app's selectors
(`stories.selectors.featured_stories` and `hours_saved`): only the featured stories the viewer
may read, and the hours members estimated with the sentence saying how."""

from dataclasses import dataclass
from datetime import datetime

from trellis.communities.models import Community
from trellis.core.access import Viewer
from trellis.stories import selectors


@dataclass(frozen=True)
class StoryLine:
    text: str
    cycle: str
    estimate: str
    teller: str
    told_at: datetime
    goal: str | None


@dataclass(frozen=True)
class HoursLine:
    total_hours: float
    stories_with_hours: int
    stories: int
    method: str


def featured(
    *, viewer: Viewer, community: Community | None, start: datetime, end: datetime, limit: int = 5
) -> list[StoryLine]:
    rows = selectors.featured_stories(
        viewer=viewer, community=community, start=start, end=end, limit=limit
    )
    return [
        StoryLine(
            text=row.text,
            cycle=row.cycle_label,
            estimate=row.estimate_words,
            teller=row.teller_name,
            told_at=row.told_at,
            goal=row.goal_name,
        )
        for row in rows
    ]


def hours(*, community: Community | None, start: datetime, end: datetime) -> HoursLine:
    found = selectors.hours_saved(community=community, start=start, end=end)
    return HoursLine(
        total_hours=float(found.total_hours),
        stories_with_hours=found.stories_with_hours,
        stories=found.stories,
        method=found.method,
    )
