"""Reads of Ask the Expert, shaped for the viewer: nothing in a private community leaks."""

import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import NotFound
from trellis.core.models import Tag
from trellis.core.pagination import DEFAULT_PAGE_SIZE, Page, paginate, paginate_keys
from trellis.qa.models import (
    Comment,
    Conversation,
    Follow,
    LinkKind,
    Message,
    Post,
    PostKind,
    PostLink,
    Revision,
    Vote,
)

TAGS_CACHE_SECONDS = 300
SORTS = {
    "newest": ("-created_at", "-pk"),
    "active": ("-last_activity_at", "-pk"),
    "votes": ("-score", "-created_at", "-pk"),
    "unanswered": ("-created_at", "-pk"),
}


def visible_posts(viewer: access.Viewer) -> QuerySet[Post]:
    return Post.objects.filter(access.visible_community_filter(viewer))


def question_list(
    *,
    viewer: access.Viewer,
    community: Community | None = None,
    sort: str = "newest",
    tag: str = "",
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[Post]:
    """A community's questions (or, without one, every question the viewer may see)."""
    if community is not None:
        if not access.can_view_community(viewer, community):
            raise NotFound("No such community, or it is private.")
        questions = Post.objects.filter(kind=PostKind.QUESTION, community=community)
    else:
        questions = visible_posts(viewer).filter(kind=PostKind.QUESTION)
    if sort == "unanswered":
        questions = questions.filter(answer_count=0, closed_at__isnull=True)
    if tag:
        questions = questions.filter(posttag__tag__name=tag)

    def load(keys: list[int]) -> QuerySet[Post]:
        return (
            Post.objects.filter(pk__in=keys)
            .select_related("author", "community")
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        )

    ordered = questions.order_by(*SORTS.get(sort, SORTS["newest"]))
    count_key = ""
    if community is not None:  # the same total for everyone who may see the community
        digest = hashlib.sha256(tag.encode()).hexdigest()[:16]
        count_key = f"qa:count:{community.pk}:{sort == 'unanswered'}:{digest}"
    return paginate_keys(ordered, load=load, page=page, page_size=page_size, count_key=count_key)


def post_get(*, viewer: access.Viewer, post_id: int, kind: str | None = None) -> Post:
    posts = visible_posts(viewer).select_related("community", "author")
    if kind is not None:
        posts = posts.filter(kind=kind)
    post = posts.filter(pk=post_id).first()
    if post is None:
        raise NotFound("No such post, or it is in a private community.")
    return post


@dataclass
class PostView:
    """A post with what the page shows around it."""

    post: Post
    comments: list[Comment] = field(default_factory=list)
    my_vote: int = 0
    thanks: int = 0
    i_thanked: bool = False
    revisions: int = 0
    accepted: bool = False


@dataclass
class Thread:
    """A question page: the question, its answers (accepted first), and linked questions."""

    question: PostView
    answers: list[PostView]
    tags: list[Tag]
    following: bool
    duplicates: list[Post]
    related: list[Post]


def question_thread(*, viewer: access.Viewer, question_id: int) -> Thread:
    question = (
        visible_posts(viewer)
        .select_related("author", "community", "duplicate_of__community")
        .filter(pk=question_id, kind=PostKind.QUESTION)
        .first()
    )
    if question is None:
        raise NotFound("No such question, or it is in a private community.")
    if question.duplicate_of is not None and not access.can_view_in(
        viewer, question.duplicate_of.community
    ):
        question.duplicate_of = None  # never name a question the viewer may not read
    answers = list(Post.objects.filter(question=question).select_related("author"))
    answers.sort(key=lambda a: (a.pk != question.accepted_answer_id, -a.score, a.created_at))
    views = {
        p.pk: PostView(p, accepted=p.pk == question.accepted_answer_id)
        for p in [question, *answers]
    }
    ids = list(views)
    for comment in (
        Comment.objects.filter(post_id__in=ids).select_related("author").order_by("created_at")
    ):
        views[comment.post_id].comments.append(comment)
    me = access.viewer_id(viewer)
    for post_id, value in Vote.objects.filter(voter_id=me, post_id__in=ids).values_list(
        "post_id", "value"
    ):
        views[post_id].my_vote = value
    for post_id, n, mine in (
        Post.objects.filter(pk__in=ids)
        .annotate(n=Count("thanks"), mine=Count("thanks", filter=Q(thanks__person_id=me)))
        .values_list("pk", "n", "mine")
    ):
        views[post_id].thanks, views[post_id].i_thanked = n, bool(mine)
    for post_id, n in (
        Revision.objects.filter(post_id__in=ids)
        .values("post_id")
        .annotate(n=Count("pk"))
        .values_list("post_id", "n")
    ):
        views[post_id].revisions = n
    return Thread(
        question=views[question.pk],
        answers=[views[a.pk] for a in answers],
        tags=list(question.tags.order_by("name")),
        following=Follow.objects.filter(person_id=me, question=question).exists(),
        duplicates=linked_questions(viewer=viewer, question=question, kind=LinkKind.DUPLICATE),
        related=linked_questions(viewer=viewer, question=question, kind=LinkKind.RELATED),
    )


def linked_questions(*, viewer: access.Viewer, question: Post, kind: str) -> list[Post]:
    """Questions linked to this one either way, that the viewer may see.

    For duplicates, these are the questions closed as duplicates of this one (the original's
    own target is `question.duplicate_of`). The link ids come first, by index, then the posts:
    one query joining both directions of the links costs a hundred times more.
    """
    ids = set(
        PostLink.objects.filter(to_post=question, kind=kind).values_list("from_post_id", flat=True)
    )
    if kind != LinkKind.DUPLICATE:
        ids |= set(
            PostLink.objects.filter(from_post=question, kind=kind).values_list(
                "to_post_id", flat=True
            )
        )
    ids.discard(question.pk)
    if not ids:
        return []
    return list(
        visible_posts(viewer)
        .filter(pk__in=ids, kind=PostKind.QUESTION)
        .order_by("-score", "pk")[:20]
    )


def revisions(*, viewer: access.Viewer, post_id: int) -> tuple[Post, list[Revision]]:
    post = post_get(viewer=viewer, post_id=post_id)
    return post, list(post.revisions.select_related("editor").order_by("-number"))


def popular_tags(
    *, viewer: access.Viewer, community: Community | None, limit: int = 20
) -> list[Tag]:
    """The most used tags among recent questions (the list's filter chips).

    Cached for a few minutes per community, or per set of communities the viewer can see for
    the organisation-wide list: tags drift slowly and counting them costs tens of
    milliseconds on a big community.
    """
    if community is not None:
        key = f"qa:popular-tags:{community.pk}"
    else:
        visible = sorted(access.visible_communities(viewer).values_list("pk", flat=True))
        digest = hashlib.sha256(",".join(map(str, visible)).encode()).hexdigest()[:16]
        key = f"qa:popular-tags:all:{digest}"
    names = cache.get(key)
    if names is None:
        posts = visible_posts(viewer).filter(kind=PostKind.QUESTION)
        if community is not None:
            posts = posts.filter(community=community)
        recent = posts.order_by("-created_at").values("pk")[:2000]
        names = list(
            Tag.objects.filter(posttag__post__in=recent)
            .annotate(n=Count("posttag"))
            .order_by("-n", "name")
            .values_list("name", flat=True)[:limit]
        )
        cache.set(key, names, TAGS_CACHE_SECONDS)
    by_name = {t.name: t for t in Tag.objects.filter(name__in=names)}
    return [by_name[n] for n in names if n in by_name]


@dataclass
class KnowledgeCounts:
    questions: int
    unanswered: int
    resources: int
    conversations: int


def knowledge_counts(*, viewer: access.Viewer, community: Community) -> KnowledgeCounts:
    """What the community page shows of its questions and library."""
    from trellis.library.models import Resource

    if not access.can_view_community(viewer, community):
        raise NotFound("No such community, or it is private.")
    questions = Post.objects.filter(kind=PostKind.QUESTION, community=community)
    return KnowledgeCounts(
        questions=questions.count(),
        unanswered=questions.filter(answer_count=0, closed_at__isnull=True).count(),
        resources=Resource.objects.filter(community=community, canonical__isnull=True).count(),
        conversations=Conversation.objects.filter(community=community).count(),
    )


def conversation_list(
    *, viewer: access.Viewer, community: Community, page: int = 1
) -> Page[Conversation]:
    if not access.can_view_community(viewer, community):
        raise NotFound("No such community, or it is private.")
    conversations = Conversation.objects.filter(community=community).select_related("started_by")
    return paginate(conversations.order_by("-last_activity_at", "-pk"), page=page)


def conversation_get(*, viewer: access.Viewer, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.filter(access.visible_community_filter(viewer))
        .select_related("community")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound("No such conversation, or it is in a private community.")
    return conversation


def conversation_messages(conversation: Conversation) -> list[Message]:
    return list(conversation.messages.select_related("author").order_by("created_at", "pk"))


def waiting_in_my_communities(*, viewer: access.Viewer, limit: int = 5) -> list[Post]:
    """The newest unanswered questions of the viewer's communities: the home page's
    'can you help?' list."""
    return list(
        Post.objects.filter(
            kind=PostKind.QUESTION,
            answer_count=0,
            closed_at__isnull=True,
            community__in=access.joined_community_ids(viewer),
        )
        .exclude(author_id=access.viewer_id(viewer))
        .select_related("community")
        .order_by("-created_at")[:limit]
    )
