"""Ask the Expert: questions, answers, comments, votes, acceptance, duplicates, follows, thanks.

Every read goes through `trellis.qa.selectors`, which see only what the viewer may see: a question
in a private community is answered as not found (404) to everyone outside it, exactly like one
that does not exist. Rendered text goes out as ``body_html`` (sanitised when it was written)
next to the ``body`` it was made from.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field, StrictStr, StringConstraints

from trellis.api.auth import viewer
from trellis.api.errors import Conflict, conflicts, error_responses
from trellis.api.schemas import (
    JSON_INTEGER,
    MAX_ID,
    NO_NUL,
    NOT_BLANK,
    Attributed,
    CommunityRef,
    CommunitySlugRef,
    Id,
    Input,
    Maybe,
    Paged,
    PageParams,
    PersonBrief,
    SlugFilter,
    TagFilter,
    TopicTags,
    stripped_at_least,
)
from trellis.communities import selectors as community_selectors
from trellis.core import access
from trellis.core.errors import Forbidden, NotFound
from trellis.core.pagination import Page, paginate_list
from trellis.core.text import excerpt
from trellis.people.models import Person
from trellis.qa import selectors, services
from trellis.qa.models import BodyFormat, Comment, Post, PostKind, Revision, Thanks

router = Router(tags=["questions"])

QuestionId = PathEx[int, P(ge=1, le=MAX_ID, description="A question's id.")]
AnswerId = PathEx[int, P(ge=1, le=MAX_ID, description="An answer's id.")]
PostId = PathEx[int, P(ge=1, le=MAX_ID, description="A question's or an answer's id.")]

# The services' limits (trellis.qa.services), counted on the stripped text as they count.
QuestionTitle = Annotated[
    StrictStr,
    StringConstraints(max_length=services.TITLE_MAX, pattern=stripped_at_least(services.TITLE_MIN)),
    Field(description=f"{services.TITLE_MIN}-{services.TITLE_MAX} characters."),
]
QuestionBody = Annotated[StrictStr, StringConstraints(max_length=services.BODY_MAX, pattern=NO_NUL)]
AnswerBody = Annotated[
    StrictStr, StringConstraints(max_length=services.BODY_MAX, pattern=NOT_BLANK)
]
CommentBody = Annotated[
    StrictStr,
    StringConstraints(max_length=services.COMMENT_MAX, pattern=stripped_at_least(2)),
    Field(description=f"2-{services.COMMENT_MAX} characters."),
]
EditNote = Annotated[StrictStr, StringConstraints(max_length=200, pattern=NO_NUL)]
VoteValue = Annotated[
    int, Field(ge=-1, le=1, description="1 up, -1 down, 0 takes it back."), JSON_INTEGER
]

BODY_DESCRIPTION = (
    "The text as written in Markdown. Posts imported from Stack Exchange keep only their "
    "sanitised HTML (`body_html`; the original is at `source_url`), so this is empty for them; "
    "posts from other imports may hold their source HTML, unsanitised. Display `body_html`."
)


class Sort(StrEnum):
    NEWEST = "newest"
    ACTIVE = "active"
    VOTES = "votes"
    UNANSWERED = "unanswered"


# -- schemas ------------------------------------------------------------------------------


class QuestionSummary(Attributed):
    id: int
    title: str
    community: CommunityRef | None = Field(description="None: asked of the whole organisation.")
    author: PersonBrief | None
    tags: list[str]
    excerpt: str = Field(description="The start of the question as plain text.")
    score: int
    answer_count: int
    view_count: int
    accepted_answer_id: int | None
    closed_at: datetime | None = Field(description="Set when closed as a duplicate.")
    created_at: datetime
    last_activity_at: datetime

    @staticmethod
    def resolve_tags(obj: Post) -> list[str]:
        return [tag.name for tag in obj.tags.all()]  # prefetched, by name

    @staticmethod
    def resolve_excerpt(obj: Post) -> str:
        return excerpt(obj.body_html)


class QuestionPage(Paged[QuestionSummary]):
    pass


class QuestionRef(Schema):
    id: int
    title: str
    score: int
    answer_count: int
    closed_at: datetime | None


class PostOut(Attributed):
    """A question or an answer."""

    id: int
    kind: PostKind
    question_id: int | None = Field(description="The question an answer belongs to.")
    community: CommunityRef | None
    author: PersonBrief | None
    title: str = Field(description="Empty for answers.")
    tags: list[str] = Field(description="Empty for answers.")
    body: str = Field(description=BODY_DESCRIPTION)
    body_format: BodyFormat
    body_html: str = Field(description="Sanitised HTML, safe to display.")
    score: int
    created_at: datetime
    edited_at: datetime | None


class CommentOut(Schema):
    id: int
    post_id: int
    author: PersonBrief | None
    source_author: str = Field(description="The author's name at the source, when imported.")
    body: str
    body_html: str = Field(description="Sanitised HTML, safe to display.")
    created_at: datetime
    edited_at: datetime | None


class ThreadPost(PostOut):
    comments: list[CommentOut] = Field(description="Oldest first.")
    viewer_vote: int = Field(description="Your vote: 1, -1, or 0 for none.")
    thanks_count: int
    viewer_thanked: bool
    revision_count: int


class AnswerOut(ThreadPost):
    accepted: bool


class QuestionOut(ThreadPost):
    answer_count: int
    view_count: int
    accepted_answer_id: int | None
    closed_at: datetime | None
    duplicate_of: QuestionRef | None = Field(
        description="The question this one duplicates (when closed and you may see it)."
    )
    last_activity_at: datetime
    following: bool = Field(description="Whether you hear about new answers and comments.")
    answers: list[AnswerOut] = Field(description="The accepted one first, then by score.")
    duplicates: list[QuestionRef] = Field(description="Questions closed as duplicates of this.")
    related: list[QuestionRef]


class RevisionOut(Schema):
    number: int
    editor: PersonBrief | None
    title: str
    body: str
    tags: list[str]
    note: str
    created_at: datetime

    @staticmethod
    def resolve_tags(obj: Revision) -> list[str]:
        return obj.tags.split()


class RevisionPage(Paged[RevisionOut]):
    pass


class VoteOut(Schema):
    post_id: int
    value: int = Field(description="Your vote now: 1, -1 or 0.")
    score: int


class FollowOut(Schema):
    question_id: int
    following: bool


class ThanksOut(Schema):
    post_id: int
    new: bool = Field(description="False when you had already said thanks.")
    thanks_count: int


class QuestionParams(PageParams):
    community: SlugFilter = Field("", description="A community's slug; every question if empty.")
    sort: Sort = Field(Sort.NEWEST, description="`unanswered`: no answers and not closed.")
    tag: TagFilter = Field("", description="Only questions with this tag.")


class QuestionAsk(Input):
    community: CommunitySlugRef | None = Field(
        None, description="The community to ask; null or left out asks the whole organisation."
    )
    title: QuestionTitle
    body: QuestionBody = Field("", description="Markdown; @handle mentions a colleague.")
    tags: TopicTags = Field(default_factory=list)


class PostEdit(Input):
    """Only the fields sent change; every edit is kept as a revision. Title and tags are for
    questions only (409 on an answer)."""

    body: Maybe[QuestionBody] = Field(None, description="Markdown. An answer's cannot be blank.")
    title: Maybe[QuestionTitle] = None
    tags: Maybe[TopicTags] = None
    note: EditNote = Field("", description="What changed, for the history.")


class AnswerIn(Input):
    body: AnswerBody = Field(description="Markdown; @handle mentions a colleague.")


class CommentIn(Input):
    body: CommentBody


class VoteIn(Input):
    value: VoteValue


class CloseIn(Input):
    duplicate_of: Id = Field(description="The id of the question this one duplicates.")


# -- helpers ------------------------------------------------------------------------------

POST_FIELDS = (
    "id",
    "kind",
    "question_id",
    "author",
    "title",
    "body",
    "body_format",
    "body_html",
    "score",
    "created_at",
    "edited_at",
    "source_url",
    "source_author",
    "license",
)


def _post(post: Post, *, community: Any, tags: list[str]) -> dict[str, Any]:
    return {name: getattr(post, name) for name in POST_FIELDS} | {
        "community": community,
        "tags": tags,
    }


def _thread_post(view: selectors.PostView, *, community: Any, tags: list[str]) -> dict[str, Any]:
    return _post(view.post, community=community, tags=tags) | {
        "comments": view.comments,
        "viewer_vote": view.my_vote,
        "thanks_count": view.thanks,
        "viewer_thanked": view.i_thanked,
        "revision_count": view.revisions,
        "accepted": view.accepted,
    }


def _question(actor: Person, question_id: int) -> dict[str, Any]:
    thread = selectors.question_thread(viewer=actor, question_id=question_id)
    question = thread.question.post
    community = question.community
    duplicate_of = question.duplicate_of
    if duplicate_of is not None and not _visible(actor, duplicate_of):
        duplicate_of = None  # closed as a duplicate of something this viewer may not see
    tags = [tag.name for tag in thread.tags]
    return _thread_post(thread.question, community=community, tags=tags) | {
        "answer_count": question.answer_count,
        "view_count": question.view_count,
        "accepted_answer_id": question.accepted_answer_id,
        "closed_at": question.closed_at,
        "duplicate_of": duplicate_of,
        "last_activity_at": question.last_activity_at,
        "following": thread.following,
        "answers": [_thread_post(a, community=community, tags=[]) for a in thread.answers],
        "duplicates": thread.duplicates,
        "related": thread.related,
    }


def _visible(actor: Person, post: Post) -> bool:
    return selectors.visible_posts(actor).filter(pk=post.pk).exists()


def _edited(actor: Person, post_id: int) -> dict[str, Any]:
    post = selectors.post_get(viewer=actor, post_id=post_id)
    tags = list(post.tags.order_by("name").values_list("name", flat=True))
    return _post(post, community=post.community, tags=tags if post.is_question else [])


def _answer(actor: Person, answer: Post) -> dict[str, Any]:
    thread = selectors.question_thread(viewer=actor, question_id=answer.thread_id)
    view = next(a for a in thread.answers if a.post.pk == answer.pk)
    return _thread_post(view, community=thread.question.post.community, tags=[])


# -- questions ----------------------------------------------------------------------------


@router.get(
    "/questions",
    response={200: QuestionPage, **error_responses()},
    summary="List questions",
    description="Every question you may see, or one community's (404 for a community you may "
    "not see). `newest` and `unanswered` sort by date, `active` by the latest answer, comment "
    "or edit, `votes` by score.",
)
def questions_list(request: HttpRequest, params: Query[QuestionParams]) -> Page[Post]:
    actor = viewer(request)
    community = None
    if params.community:
        community = community_selectors.community_get(viewer=actor, slug=params.community)
    return selectors.question_list(
        viewer=actor,
        community=community,
        sort=params.sort.value,
        tag=params.tag.strip().lower(),
        page=params.page,
        page_size=params.page_size,
    )


@router.post(
    "/questions",
    response={201: QuestionOut, **error_responses()},
    summary="Ask a question",
    description="You follow your own question: you hear about its answers and comments.",
)
def questions_ask(request: HttpRequest, payload: QuestionAsk) -> Reply[dict[str, Any]]:
    actor = viewer(request)
    community = None
    if payload.community is not None:
        try:
            community = community_selectors.community_get(viewer=actor, slug=payload.community)
        except NotFound as error:
            raise NotFound(error.message, field_errors={"community": error.message}) from error
    question = services.question_ask(
        actor=actor,
        community=community,
        title=payload.title,
        body=payload.body,
        tags=payload.tags,
    )
    return Reply(201, _question(actor, question.pk))


@router.get(
    "/questions/{question_id}",
    response={200: QuestionOut, **error_responses()},
    summary="A question with its answers, comments, tags and linked questions",
)
def questions_detail(request: HttpRequest, question_id: QuestionId) -> dict[str, Any]:
    return _question(viewer(request), question_id)


@router.post(
    "/questions/{question_id}/answers",
    response={201: AnswerOut, **error_responses()},
    summary="Answer a question",
    description="A question closed as a duplicate takes no answers (403): answer the original.",
)
def answers_create(
    request: HttpRequest, question_id: QuestionId, payload: AnswerIn
) -> Reply[dict[str, Any]]:
    actor = viewer(request)
    question = selectors.post_get(viewer=actor, post_id=question_id, kind=PostKind.QUESTION)
    answer = services.answer_post(actor=actor, question=question, body=payload.body)
    return Reply(201, _answer(actor, answer))


@router.post(
    "/questions/{question_id}/close",
    response={200: QuestionOut, **error_responses(conflict=True)},
    summary="Close a question as a duplicate (its asker, the community's core team)",
    description="Both questions then link to each other. A question cannot duplicate itself "
    "or one of its own duplicates (409).",
)
def questions_close(
    request: HttpRequest, question_id: QuestionId, payload: CloseIn
) -> dict[str, Any]:
    actor = viewer(request)
    question = selectors.post_get(viewer=actor, post_id=question_id, kind=PostKind.QUESTION)
    # The service decides; this only keeps the lookup below from answering someone who may not
    # close the question at all.
    if not access.can_close_question(actor, question.author_id, question.community):
        raise Forbidden("Only the asker or the community's core team can close a question.")
    try:
        original = selectors.post_get(
            viewer=actor, post_id=payload.duplicate_of, kind=PostKind.QUESTION
        )
    except NotFound as error:
        message = "No such question, or you may not see it."
        raise NotFound(message, field_errors={"duplicate_of": message}) from error
    with conflicts():  # itself, or a duplicate of this one
        services.question_close_duplicate(actor=actor, question=question, original=original)
    return _question(actor, question.pk)


@router.delete(
    "/questions/{question_id}/close",
    response={200: QuestionOut, **error_responses()},
    summary="Reopen a question (the community's core team)",
    description="Reopening an open question changes nothing.",
)
def questions_reopen(request: HttpRequest, question_id: QuestionId) -> dict[str, Any]:
    actor = viewer(request)
    question = selectors.post_get(viewer=actor, post_id=question_id, kind=PostKind.QUESTION)
    services.question_reopen(actor=actor, question=question)
    return _question(actor, question.pk)


@router.put(
    "/questions/{question_id}/follow",
    response={200: FollowOut, **error_responses()},
    summary="Follow a question (hear about its new answers and comments)",
    description="Following twice changes nothing.",
)
def questions_follow(request: HttpRequest, question_id: QuestionId) -> dict[str, Any]:
    return _follow(request, question_id, follow=True)


@router.delete(
    "/questions/{question_id}/follow",
    response={200: FollowOut, **error_responses()},
    summary="Stop following a question",
)
def questions_unfollow(request: HttpRequest, question_id: QuestionId) -> dict[str, Any]:
    return _follow(request, question_id, follow=False)


def _follow(request: HttpRequest, question_id: int, *, follow: bool) -> dict[str, Any]:
    actor = viewer(request)
    question = selectors.post_get(viewer=actor, post_id=question_id, kind=PostKind.QUESTION)
    following = services.question_follow(actor=actor, question=question, follow=follow)
    return {"question_id": question.pk, "following": following}


# -- answers ------------------------------------------------------------------------------


@router.post(
    "/answers/{answer_id}/accept",
    response={200: QuestionOut, **error_responses()},
    summary="Accept an answer (the asker, the community's leaders)",
    description="A question has one accepted answer at most: accepting another moves the mark. "
    "Accepting it again changes nothing.",
)
def answers_accept(request: HttpRequest, answer_id: AnswerId) -> dict[str, Any]:
    return _accept(request, answer_id, accept=True)


@router.delete(
    "/answers/{answer_id}/accept",
    response={200: QuestionOut, **error_responses()},
    summary="Take back the acceptance of an answer",
    description="Changes nothing when the answer is not the accepted one.",
)
def answers_unaccept(request: HttpRequest, answer_id: AnswerId) -> dict[str, Any]:
    return _accept(request, answer_id, accept=False)


def _accept(request: HttpRequest, answer_id: int, *, accept: bool) -> dict[str, Any]:
    actor = viewer(request)
    answer = selectors.post_get(viewer=actor, post_id=answer_id, kind=PostKind.ANSWER)
    question = services.answer_accept(actor=actor, answer=answer, accept=accept)
    return _question(actor, question.pk)


# -- posts (questions and answers) --------------------------------------------------------


@router.patch(
    "/posts/{post_id}",
    response={200: PostOut, **error_responses(conflict=True)},
    summary="Edit a question or an answer (its author, the community's core team)",
)
def posts_edit(request: HttpRequest, post_id: PostId, payload: PostEdit) -> dict[str, Any]:
    actor = viewer(request)
    post = selectors.post_get(viewer=actor, post_id=post_id)
    author_ids = {post.author_id} if post.author_id else set()
    # The service decides; this only keeps a 409 below from answering someone who may not edit.
    if not access.can_edit_content(actor, author_ids, post.community):
        raise Forbidden("Only the author or the community's core team can edit this.")
    sent = payload.model_fields_set
    if not post.is_question and sent & {"title", "tags"}:
        message = "Answers have no title or tags."
        fields = dict.fromkeys(sorted(sent & {"title", "tags"}), message)
        raise Conflict(f"This post is an answer. {message}", field_errors=fields)
    with conflicts():  # an answer's text may not be blank
        services.post_edit(
            actor=actor,
            post=post,
            body=post.body if payload.body is None else payload.body,
            title=payload.title,
            tags=payload.tags,
            note=payload.note,
        )
    return _edited(actor, post.pk)


@router.post(
    "/posts/{post_id}/comments",
    response={201: CommentOut, **error_responses()},
    summary="Comment on a question or an answer",
)
def comments_create(request: HttpRequest, post_id: PostId, payload: CommentIn) -> Reply[Comment]:
    actor = viewer(request)
    post = selectors.post_get(viewer=actor, post_id=post_id)
    comment = services.comment_add(actor=actor, post=post, body=payload.body)
    comment.author = actor
    return Reply(201, comment)


@router.put(
    "/posts/{post_id}/vote",
    response={200: VoteOut, **error_responses()},
    summary="Vote on a question or an answer",
    description="1 up, -1 down, 0 takes your vote back. Voting the same way twice changes "
    "nothing. Nobody votes on their own posts (403).",
)
def posts_vote(request: HttpRequest, post_id: PostId, payload: VoteIn) -> dict[str, Any]:
    actor = viewer(request)
    post = selectors.post_get(viewer=actor, post_id=post_id)
    post = services.post_vote(actor=actor, post=post, value=payload.value)
    return {"post_id": post.pk, "value": payload.value, "score": post.score}


@router.post(
    "/posts/{post_id}/thanks",
    response={200: ThanksOut, **error_responses()},
    summary="Thank the author of a question or an answer",
    description="Once per post; thanking again changes nothing. Not for your own posts (403).",
)
def posts_thank(request: HttpRequest, post_id: PostId) -> dict[str, Any]:
    actor = viewer(request)
    post = selectors.post_get(viewer=actor, post_id=post_id)
    new = services.post_thank(actor=actor, post=post)
    count = Thanks.objects.filter(post=post).count()
    return {"post_id": post.pk, "new": new, "thanks_count": count}


@router.get(
    "/posts/{post_id}/revisions",
    response={200: RevisionPage, **error_responses()},
    summary="A post's history, newest revision first",
)
def posts_revisions(
    request: HttpRequest, post_id: PostId, params: Query[PageParams]
) -> Page[Revision]:
    _, revisions = selectors.revisions(viewer=viewer(request), post_id=post_id)
    return paginate_list(revisions, page=params.page, page_size=params.page_size)
