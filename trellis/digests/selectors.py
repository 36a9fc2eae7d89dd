"""What a person's digest says: news from their own communities, nothing else.

Only communities the person is an active member of feed the digest (plus organisation-wide
questions), so a private community's content reaches only its members.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from trellis.communities.models import Community
from trellis.core import access
from trellis.library.models import Resource
from trellis.people.models import Person
from trellis.qa.models import Post, PostKind


@dataclass
class CommunityNews:
    community: Community | None
    new_questions: list[Post] = field(default_factory=list)
    unanswered: list[Post] = field(default_factory=list)
    new_resources: list[Resource] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new_questions or self.unanswered or self.new_resources)


@dataclass
class DigestContent:
    person: Person
    since: datetime
    news: list[CommunityNews]
    due_resources: list[Resource]

    @property
    def empty(self) -> bool:
        return all(n.empty for n in self.news) and not self.due_resources


WAITING_DAYS = 30  # how far back "waiting for an answer" looks


def digest_content(person: Person, since: datetime, limit: int = 5) -> DigestContent:
    """Per community: the new questions, the questions still waiting for an answer that are
    not among them (asked in the last WAITING_DAYS), and the new library resources. No item
    is listed twice."""
    communities = list(
        Community.objects.filter(pk__in=access.joined_community_ids(person)).order_by("name")
    )
    news = []
    for community in [None, *communities]:
        where = Q(community=community) if community else Q(community__isnull=True)
        questions = Post.objects.filter(where, kind=PostKind.QUESTION)
        new_questions = list(
            questions.filter(created_at__gte=since).order_by("-score", "-created_at")[:limit]
        )
        waiting = (
            questions.filter(
                answer_count=0,
                closed_at__isnull=True,
                created_at__gte=since - timedelta(days=WAITING_DAYS),
            )
            .exclude(pk__in=[q.pk for q in new_questions])
            .order_by("created_at")[:limit]
        )
        news.append(
            CommunityNews(
                community=community,
                new_questions=new_questions,
                unanswered=list(waiting) if community else [],
                new_resources=list(
                    Resource.objects.filter(
                        where, created_at__gte=since, canonical__isnull=True
                    ).order_by("-created_at")[:limit]
                ),
            )
        )
    due = [
        r
        for r in Resource.objects.filter(owners=person, obsolete_at__isnull=True)
        .filter(access.visible_community_filter(person))
        .order_by("verify_by")[:limit]
        if r.freshness() != "fresh"
    ]
    return DigestContent(
        person=person, since=since, news=[n for n in news if not n.empty], due_resources=due
    )
