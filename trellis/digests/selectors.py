"""What a person's digest says: news from their own communities, nothing else.

Only communities the person is an active member of feed the digest (plus organisation-wide
questions), so a private community's content reaches only its members.
"""

from dataclasses import dataclass, field
from datetime import datetime

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


def digest_content(person: Person, since: datetime, limit: int = 5) -> DigestContent:
    communities = list(
        Community.objects.filter(pk__in=access.joined_community_ids(person)).order_by("name")
    )
    news = []
    for community in [None, *communities]:
        where = Q(community=community) if community else Q(community__isnull=True)
        questions = Post.objects.filter(where, kind=PostKind.QUESTION)
        news.append(
            CommunityNews(
                community=community,
                new_questions=list(
                    questions.filter(created_at__gte=since).order_by("-score", "-created_at")[
                        :limit
                    ]
                ),
                unanswered=list(
                    questions.filter(
                        answer_count=0, closed_at__isnull=True, created_at__gte=since
                    ).order_by("created_at")[:limit]
                )
                if community
                else [],
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
