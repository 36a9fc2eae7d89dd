"""Reads of Ask the Expert, shaped for the viewer: nothing in a private community leaks."""

import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

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
    Thanks,
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
    can_react: bool = False  # vote and thank (`access.PostRights.can_react`)
    can_edit: bool = False


@dataclass
class Thread:
    """A question page: the question, its answers (accepted first), and linked questions."""

    question: PostView
    answers: list[PostView]
    tags: list[Tag]
    following: bool
    duplicates: list[Post]
    related: list[Post]


def _counted(model: type[Thanks] | type[Revision], **match: object) -> Subquery:
    rows = model.objects.filter(post=OuterRef("pk"), **match).order_by().values("post")
    return Subquery(rows.annotate(n=Count("pk")).values("n")[:1])


def question_thread(*, viewer: access.Viewer, question_id: int) -> Thread:
    """Everything a question page shows, in few round trips (each costs a millisecond or
    more on PostgreSQL): counts and the viewer's own marks come as annotations."""
    me = access.viewer_id(viewer)
    question = (
        visible_posts(viewer)
        .select_related("author", "community", "duplicate_of__community")
        .annotate(following=Exists(Follow.objects.filter(person_id=me, question=OuterRef("pk"))))
        .filter(pk=question_id, kind=PostKind.QUESTION)
        .first()
    )
    if question is None:
        raise NotFound("No such question, or it is in a private community.")
    if question.duplicate_of is not None and not access.can_view_in(
        viewer, question.duplicate_of.community
    ):
        question.duplicate_of = None  # never name a question the viewer may not read
    posts = list(
        Post.objects.filter(Q(pk=question.pk) | Q(question=question))
        .select_related("author")
        .annotate(
            thanks_n=Coalesce(_counted(Thanks), 0),
            thanked=Exists(Thanks.objects.filter(post=OuterRef("pk"), person_id=me)),
            revisions_n=Coalesce(_counted(Revision), 0),
            my_vote=Coalesce(
                Subquery(Vote.objects.filter(post=OuterRef("pk"), voter_id=me).values("value")[:1]),
                0,
            ),
        )
    )
    rights = access.post_rights(viewer, question.community)
    by_id = {p.pk: p for p in posts}
    answers = [p for p in posts if p.pk != question.pk]
    answers.sort(key=lambda a: (a.pk != question.accepted_answer_id, -a.score, a.created_at))
    views = {
        p.pk: PostView(
            question if p.pk == question.pk else p,
            accepted=p.pk == question.accepted_answer_id,
            my_vote=p.my_vote,
            thanks=p.thanks_n,
            i_thanked=p.thanked,
            revisions=p.revisions_n,
            can_react=rights.can_react(p.author_id),
            can_edit=rights.can_edit(p.author_id),
        )
        for p in by_id.values()
    }
    for comment in (
        Comment.objects.filter(post_id__in=list(views))
        .select_related("author")
        .order_by("created_at")
    ):
        views[comment.post_id].comments.append(comment)
    duplicates, related = _links(viewer, question)
    return Thread(
        question=views[question.pk],
        answers=[views[a.pk] for a in answers],
        tags=list(question.tags.order_by("name")),
        following=bool(question.following),
        duplicates=duplicates,
        related=related,
    )


def _links(viewer: access.Viewer, question: Post) -> tuple[list[Post], list[Post]]:
    """The questions closed as duplicates of this one, and those related either way, that
    the viewer may see: one query for the links, one for the posts."""
    links = list(
        PostLink.objects.filter(Q(to_post=question) | Q(from_post=question)).values_list(
            "from_post_id", "to_post_id", "kind"
        )
    )
    duplicate_ids = {f for f, t, k in links if k == LinkKind.DUPLICATE and t == question.pk}
    related_ids = {f if t == question.pk else t for f, t, k in links if k == LinkKind.RELATED}
    wanted = (duplicate_ids | related_ids) - {question.pk}
    if not wanted:
        return [], []
    posts = list(
        visible_posts(viewer).filter(pk__in=wanted, kind=PostKind.QUESTION).order_by("-score", "pk")
    )
    return (
        [p for p in posts if p.pk in duplicate_ids][:20],
        [p for p in posts if p.pk in related_ids][:20],
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
    conversations: int


def knowledge_counts(*, viewer: access.Viewer, community: Community) -> KnowledgeCounts:
    """What the community page shows of its questions and conversations."""
    if not access.can_view_community(viewer, community):
        raise NotFound("No such community, or it is private.")
    questions = Post.objects.filter(kind=PostKind.QUESTION, community=community)
    return KnowledgeCounts(
        questions=questions.count(),
        unanswered=questions.filter(answer_count=0, closed_at__isnull=True).count(),
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
