"""What everyone did in one month, per community and organisation-wide (database reads).

Five sources, one GROUP BY query each for the whole organisation, never a query per person
(the daily job covers 50,000 people and 10M activity rows):

- the activity log: a verb ending in `.view` is a read, a verb of `levels.CONTRIBUTION_VERBS`
  a contribution (`answer.post` an answer too), anything else (joining, RSVPs, administration)
  neither;
- posts and comments loaded in bulk (a non-empty `source`): the importers write no activity
  rows for them, so they are counted here, each once (an imported answer is an answer too),
  while posts written through the services have no source and are counted by their activity
  row only;
- sessions attended (an RSVP marked attended) and facilitated (the event's facilitator), of
  events held: started in the month, not cancelled, over by now.

Months are calendar months in the site's time zone (settings.TIME_ZONE), as the reports' are.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from trellis.core.models import Activity
from trellis.events.models import Event, Rsvp
from trellis.insights.levels import CONTRIBUTION_VERBS, READ_SUFFIX, MonthCounts
from trellis.qa.models import Comment, Post, PostKind

ANSWER_VERB = "answer.post"

# (community or None for content outside any community, person)
Key = tuple[int | None, int]


def add_months(month: date, delta: int) -> date:
    index = month.year * 12 + month.month - 1 + delta
    return date(index // 12, index % 12 + 1, 1)


def month_of(moment: datetime) -> date:
    """The month a moment falls in, in the site's time zone."""
    local = timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE))
    return date(local.year, local.month, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next one, in the site's time zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    after = add_months(month, 1)
    return (
        datetime(month.year, month.month, 1, tzinfo=zone),
        datetime(after.year, after.month, 1, tzinfo=zone),
    )


@dataclass(frozen=True)
class MonthTally:
    """One month's counts: per community, and per person organisation-wide (everything they
    did anywhere: in every community and outside them)."""

    by_community: dict[int, dict[int, MonthCounts]]
    organisation: dict[int, MonthCounts]


class _Sums:
    """Counts summed from the sources before they become frozen MonthCounts (in the order of
    its fields: contributions, answers, reads, attended, facilitated)."""

    def __init__(self) -> None:
        self.rows: defaultdict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])

    def add(
        self,
        key: Key,
        *,
        contributions: int = 0,
        answers: int = 0,
        reads: int = 0,
        attended: int = 0,
        facilitated: int = 0,
    ) -> None:
        row = self.rows[key]
        row[0] += contributions
        row[1] += answers
        row[2] += reads
        row[3] += attended
        row[4] += facilitated

    def tally(self) -> MonthTally:
        by_community: defaultdict[int, dict[int, MonthCounts]] = defaultdict(dict)
        organisation: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        for (community_id, person_id), row in self.rows.items():
            if community_id is not None:
                by_community[community_id][person_id] = MonthCounts(*row)
            total = organisation[person_id]
            for k, value in enumerate(row):
                total[k] += value
        return MonthTally(
            by_community=dict(by_community),
            organisation={pk: MonthCounts(*row) for pk, row in organisation.items()},
        )


def month_tally(*, month: date, now: datetime | None = None) -> MonthTally:
    """Everyone's counts for the month, from the five sources (five queries)."""
    start, end = month_bounds(month)
    now = now or timezone.now()
    sums = _Sums()
    logged = (
        Activity.objects.filter(created_at__gte=start, created_at__lt=end, actor__isnull=False)
        .order_by()
        .values("community_id", "actor_id")
        .annotate(
            contributed=Count("pk", filter=Q(verb__in=CONTRIBUTION_VERBS)),
            reads=Count("pk", filter=Q(verb__endswith=READ_SUFFIX)),
            answers=Count("pk", filter=Q(verb=ANSWER_VERB)),
        )
        .values_list("community_id", "actor_id", "contributed", "reads", "answers")
    )
    for community_id, person_id, contributed, reads, answers in logged:
        if contributed or reads:  # joining, RSVPs and administration are neither
            sums.add(
                (community_id, person_id), contributions=contributed, answers=answers, reads=reads
            )
    imported_posts = (
        Post.objects.filter(created_at__gte=start, created_at__lt=end, author__isnull=False)
        .exclude(source="")
        .order_by()
        .values("community_id", "author_id")
        .annotate(total=Count("pk"), answered=Count("pk", filter=Q(kind=PostKind.ANSWER)))
        .values_list("community_id", "author_id", "total", "answered")
    )
    for community_id, person_id, total, answers in imported_posts:
        sums.add((community_id, person_id), contributions=total, answers=answers)
    imported_comments = (
        Comment.objects.filter(created_at__gte=start, created_at__lt=end, author__isnull=False)
        .exclude(source="")
        .order_by()
        .values("post__community_id", "author_id")
        .annotate(total=Count("pk"))
        .values_list("post__community_id", "author_id", "total")
    )
    for community_id, person_id, total in imported_comments:
        sums.add((community_id, person_id), contributions=total)
    held = Q(starts_at__gte=start, starts_at__lt=end, cancelled_at__isnull=True, ends_at__lte=now)
    attended = (
        Rsvp.objects.filter(
            attended=True,
            event__starts_at__gte=start,
            event__starts_at__lt=end,
            event__cancelled_at__isnull=True,
            event__ends_at__lte=now,
        )
        .order_by()
        .values("event__community_id", "person_id")
        .annotate(total=Count("pk"))
        .values_list("event__community_id", "person_id", "total")
    )
    for community_id, person_id, total in attended:
        sums.add((community_id, person_id), attended=total)
    facilitated = (
        Event.objects.filter(held, facilitator__isnull=False)
        .order_by()
        .values("community_id", "facilitator_id")
        .annotate(total=Count("pk"))
        .values_list("community_id", "facilitator_id", "total")
    )
    for community_id, person_id, total in facilitated:
        sums.add((community_id, person_id), facilitated=total)
    return sums.tally()


def first_recorded_month() -> date | None:
    """The month of the first thing the sources record (where a rebuild starts), if any."""
    firsts = [
        Activity.objects.filter(actor__isnull=False).aggregate(at=Min("created_at"))["at"],
        Post.objects.exclude(source="")
        .filter(author__isnull=False)
        .aggregate(at=Min("created_at"))["at"],
        Comment.objects.exclude(source="")
        .filter(author__isnull=False)
        .aggregate(at=Min("created_at"))["at"],
        Rsvp.objects.filter(attended=True).aggregate(at=Min("event__starts_at"))["at"],
        Event.objects.filter(facilitator__isnull=False).aggregate(at=Min("starts_at"))["at"],
    ]
    known = [moment for moment in firsts if moment is not None]
    return month_of(min(known)) if known else None
