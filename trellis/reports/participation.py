"""Participation levels: a simple, documented level per person per month in one community.

The levels, checked in this order (a person gets the first that fits):

1. **core team**: an active membership as leader, facilitator or core team during the month;
2. **contributor**: wrote something in the community that month (asked, answered, commented,
   voted, thanked, wrote or verified a guide: any activity-log row that is not a view, or a
   post, for posts loaded in bulk without activity rows), or facilitated one of its sessions;
3. **new member**: joined during the month and wrote nothing (yet);
4. **reader**: only viewed (the activity log's `*.view` rows) or came to a session (attendance
   as the organiser recorded it): taking part from the edge, which the practice literature
   counts as legitimate participation;
5. **quiet**: a member with nothing recorded that month.

Only members count (people who were members at some point in the month); a non-member's reads
are not participation in the community. The next issue refines the levels; they live here
alone so that it changes one module.
"""

from collections import Counter
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from trellis.communities.models import Community, Membership, Role
from trellis.core.models import Activity
from trellis.events.models import Event, Rsvp
from trellis.qa.models import Post

CORE, CONTRIBUTOR, NEW, READER, QUIET = "core", "contributor", "new", "reader", "quiet"
LEVELS = (CORE, CONTRIBUTOR, NEW, READER, QUIET)
LEVEL_LABELS = {
    CORE: "Core team",
    CONTRIBUTOR: "Contributors",
    NEW: "New members",
    READER: "Readers",
    QUIET: "Quiet members",
}
TEAM = (Role.LEADER, Role.FACILITATOR, Role.CORE)


def level_of(*, is_team: bool, wrote: bool, joined_in_month: bool, read: bool) -> str:
    """The level of one person in one month, from what they did (pure)."""
    if is_team:
        return CORE
    if wrote:
        return CONTRIBUTOR
    if joined_in_month:
        return NEW
    if read:
        return READER
    return QUIET


def members_in(community: Community | None, start: datetime, end: datetime) -> Q:
    """Memberships open at some point in [start, end)."""
    where = Q(joined_at__lt=end) & (Q(left_at__isnull=True) | Q(left_at__gte=start))
    if community is not None:
        where &= Q(community=community)
    return where


def levels_between(
    *, community: Community | None, start: datetime, end: datetime
) -> dict[str, int]:
    """How many members were at each level in [start, end). Organisation-wide (community
    None), a person counts once, at the highest level they reached in any community."""
    members: dict[int, tuple[bool, bool]] = {}  # person -> (team, joined in the period)
    for person_id, role, joined_at in Membership.objects.filter(
        members_in(community, start, end)
    ).values_list("person_id", "role", "joined_at"):
        team, joined = members.get(person_id, (False, False))
        members[person_id] = (team or role in TEAM, joined or joined_at >= start)
    activity = Activity.objects.filter(created_at__gte=start, created_at__lt=end)
    posts = Post.objects.filter(created_at__gte=start, created_at__lt=end)
    if community is not None:
        activity = activity.filter(community=community)
        posts = posts.filter(community=community)
    else:
        activity = activity.filter(community__isnull=False)
        posts = posts.filter(community__isnull=False)
    writers = set(
        activity.exclude(verb__endswith=".view")
        .exclude(actor__isnull=True)
        .values_list("actor_id", flat=True)
        .distinct()
    )
    writers |= set(
        posts.exclude(author__isnull=True).values_list("author_id", flat=True).distinct()
    )
    readers = set(
        activity.filter(verb__endswith=".view")
        .exclude(actor__isnull=True)
        .values_list("actor_id", flat=True)
        .distinct()
    )
    held = Event.objects.filter(  # held as the report counts them: over by now
        starts_at__gte=start,
        starts_at__lt=end,
        cancelled_at__isnull=True,
        ends_at__lte=timezone.now(),
    )
    held = held.filter(community=community) if community else held.filter(community__isnull=False)
    writers |= set(held.exclude(facilitator=None).values_list("facilitator_id", flat=True))
    readers |= set(
        Rsvp.objects.filter(event__in=held, attended=True).values_list("person_id", flat=True)
    )
    counts = Counter(
        level_of(
            is_team=team,
            wrote=person_id in writers,
            joined_in_month=joined,
            read=person_id in readers,
        )
        for person_id, (team, joined) in members.items()
    )
    return {level: counts.get(level, 0) for level in LEVELS}
