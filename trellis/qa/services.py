"""Every write to Ask the Expert: checked, transactional, recorded, and notified."""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access, hooks
from trellis.core.activity import activity_record, view_record
from trellis.core.errors import Forbidden, Invalid
from trellis.core.models import Tag
from trellis.core.text import find_mentions, render_markdown
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person
from trellis.qa.links import question_url
from trellis.qa.models import (
    BodyFormat,
    Comment,
    Follow,
    LinkKind,
    Post,
    PostKind,
    PostLink,
    PostTag,
    Revision,
    Thanks,
    Vote,
)
from trellis.qa.tags import normalise_tags

TITLE_MIN, TITLE_MAX = 10, 200
BODY_MAX = 30_000
COMMENT_MAX = 600


def _check_text(field: str, value: str, *, minimum: int, maximum: int, label: str) -> str:
    value = value.strip()
    if "\x00" in value:
        raise Invalid("Text contains a NUL character.", field_errors={field: "Remove it."})
    if len(value) < minimum:
        raise Invalid(
            f"The {label} is too short.",
            field_errors={field: f"Write at least {minimum} characters."},
        )
    if len(value) > maximum:
        raise Invalid(
            f"The {label} is too long.",
            field_errors={field: f"Keep it under {maximum:,} characters (it has {len(value):,})."},
        )
    return value


def _mentioned_people(text: str) -> dict[str, Person]:
    """@handle is the part of a colleague's email address before the @."""
    handles = find_mentions(text)[:20]
    if not handles:
        return {}
    condition = Q()
    for handle in handles:
        condition |= Q(email__istartswith=f"{handle}@")
    found: dict[str, Person] = {}
    for person in Person.objects.filter(condition, is_active=True):
        handle = person.email.split("@", 1)[0].lower()
        if handle in handles:
            found[handle] = person
    return found


def _render(text: str) -> tuple[str, dict[str, Person]]:
    people = _mentioned_people(text)
    links = {handle: reverse("person-detail", args=[p.pk]) for handle, p in people.items()}
    return render_markdown(text, mentions=links), people


def _tags_set(post: Post, names: list[str]) -> None:
    """Replace a post's tags, creating new tag names (a concurrent creator is fine)."""
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    tag_ids = list(Tag.objects.filter(name__in=names).values_list("pk", flat=True))
    PostTag.objects.filter(post=post).exclude(tag_id__in=tag_ids).delete()
    PostTag.objects.bulk_create(
        [PostTag(post=post, tag_id=t) for t in tag_ids], ignore_conflicts=True
    )


def _revision_add(post: Post, editor: Person, note: str = "") -> Revision:
    last = Revision.objects.filter(post=post).aggregate(n=Max("number"))["n"] or 0
    tags = " ".join(sorted(post.tags.values_list("name", flat=True))) if post.is_question else ""
    return Revision.objects.create(
        post=post,
        number=last + 1,
        editor=editor,
        title=post.title,
        body=post.body,
        tags=tags,
        note=note[:200],
    )


def _index_after_commit(post: Post) -> None:
    """Search shows the post as it is once this commits (a question with its answers)."""
    kind = hooks.ContentKind.QUESTION if post.is_question else hooks.ContentKind.ANSWER
    hooks.content_changed(kind=kind, ids=[post.pk])


def _touch(question_id: int) -> None:
    Post.objects.filter(pk=question_id).update(last_activity_at=timezone.now())


def _tell(
    recipients: Iterable[Person],
    kind: str,
    *,
    actor: Person | None,
    community: Community | None,
    about: Post | Comment,
    title: str,
    url: str,
) -> None:
    """Notify about a post or a comment (the notification service checks who may see it)."""
    notify(
        recipients=recipients,
        kind=kind,
        actor=actor,
        community=community,
        target_type="comment" if isinstance(about, Comment) else "post",
        target_id=about.pk,
        title=title,
        url=url,
    )


def _notify_mentions(
    people: dict[str, Person], *, actor: Person, post: Post, title: str, url: str
) -> None:
    _tell(
        people.values(),
        Kind.MENTION,
        actor=actor,
        community=post.community,
        about=post,
        title=title,
        url=url,
    )


def _community_for_writing(actor: Person, community: Community | None) -> None:
    if not access.can_contribute_in(actor, community):
        raise Forbidden("You cannot post here.")


@transaction.atomic
def question_ask(
    *,
    actor: Person,
    community: Community | None,
    title: str,
    body: str,
    tags: Iterable[str] | str = (),
) -> Post:
    _community_for_writing(actor, community)
    title = _check_text("title", title, minimum=TITLE_MIN, maximum=TITLE_MAX, label="title")
    body = _check_text("body", body, minimum=0, maximum=BODY_MAX, label="question")
    tag_names = normalise_tags(tags)
    html, people = _render(body)
    question = Post.objects.create(
        kind=PostKind.QUESTION,
        community=community,
        author=actor,
        title=title,
        body=body,
        body_html=html,
    )
    _tags_set(question, tag_names)
    _revision_add(question, actor)
    _index_after_commit(question)
    Follow.objects.create(person=actor, question=question)
    community_id = community.pk if community else None
    activity_record(actor=actor, verb="question.ask", obj=question, community_id=community_id)
    _notify_mentions(people, actor=actor, post=question, title=title, url=question_url(question.pk))
    hooks.question_asked(question_id=question.pk)
    return question


def _lock_question(question_id: int) -> Post:
    return Post.objects.select_for_update().get(pk=question_id, kind=PostKind.QUESTION)


@transaction.atomic
def answer_post(*, actor: Person, question: Post, body: str) -> Post:
    _community_for_writing(actor, question.community)
    body = _check_text("body", body, minimum=1, maximum=BODY_MAX, label="answer")
    question = _lock_question(question.pk)
    if question.closed_at is not None:
        raise Forbidden("This question is closed; answer the question it duplicates instead.")
    html, people = _render(body)
    answer = Post.objects.create(
        kind=PostKind.ANSWER,
        community=question.community,
        question=question,
        author=actor,
        body=body,
        body_html=html,
    )
    Post.objects.filter(pk=question.pk).update(
        answer_count=F("answer_count") + 1, last_activity_at=answer.created_at
    )
    _revision_add(answer, actor)
    _index_after_commit(answer)
    Follow.objects.get_or_create(person=actor, question=question)
    community_id = question.community_id
    activity_record(actor=actor, verb="answer.post", obj=answer, community_id=community_id)
    hooks.contributions_changed(person_ids=[actor.pk])
    hooks.question_answered(question_id=question.pk, person_id=actor.pk, at=answer.created_at)
    url = question_url(question.pk, answer.pk)
    asker = [question.author] if question.author else []
    _tell(
        asker,
        Kind.ANSWER,
        actor=actor,
        community=question.community,
        about=answer,
        title=question.title,
        url=url,
    )
    followers = Person.objects.filter(follows__question=question).exclude(
        pk__in=[p.pk for p in asker]
    )
    _tell(
        followers,
        Kind.FOLLOWED,
        actor=actor,
        community=question.community,
        about=answer,
        title=question.title,
        url=url,
    )
    _notify_mentions(people, actor=actor, post=answer, title=question.title, url=url)
    return answer


def _thread(post: Post) -> Post:
    return post if post.is_question else Post.objects.get(pk=post.thread_id)


@transaction.atomic
def comment_add(*, actor: Person, post: Post, body: str) -> Comment:
    _community_for_writing(actor, post.community)
    body = _check_text("body", body, minimum=2, maximum=COMMENT_MAX, label="comment")
    html, people = _render(body)
    comment = Comment.objects.create(post=post, author=actor, body=body, body_html=html)
    question = _thread(post)
    _touch(question.pk)
    activity_record(actor=actor, verb="comment.add", obj=comment, community_id=post.community_id)
    url = question_url(question.pk, None if post.is_question else post.pk)
    _tell(
        [post.author] if post.author else [],
        Kind.COMMENT,
        actor=actor,
        community=post.community,
        about=comment,
        title=question.title,
        url=url,
    )
    _notify_mentions(people, actor=actor, post=post, title=question.title, url=url)
    return comment


@transaction.atomic
def post_edit(
    *,
    actor: Person,
    post: Post,
    body: str,
    title: str | None = None,
    tags: Iterable[str] | str | None = None,
    note: str = "",
) -> Post:
    author_ids = {post.author_id} if post.author_id else set()
    if not access.can_edit_content(actor, author_ids, post.community):
        raise Forbidden("Only the author or the community's core team can edit this.")
    post = Post.objects.select_for_update().get(pk=post.pk)
    body = _check_text(
        "body", body, minimum=0 if post.is_question else 1, maximum=BODY_MAX, label="text"
    )
    fields = ["body", "body_html", "body_format", "edited_at"]
    if post.is_question and title is not None:
        post.title = _check_text(
            "title", title, minimum=TITLE_MIN, maximum=TITLE_MAX, label="title"
        )
        fields.append("title")
    if body != post.body or post.body_format != BodyFormat.HTML:
        post.body = body
        post.body_html, _people = _render(body)
        post.body_format = BodyFormat.MARKDOWN
    post.edited_at = timezone.now()
    post.save(update_fields=fields)
    if post.is_question and tags is not None:
        _tags_set(post, normalise_tags(tags))
        # Its answerers' topics follow the question's tags.
        hooks.contributions_changed(
            person_ids=list(Post.objects.filter(question=post).values_list("author_id", flat=True))
        )
    _revision_add(post, actor, note)
    _index_after_commit(post)
    _touch(post.thread_id)
    activity_record(actor=actor, verb="post.edit", obj=post, community_id=post.community_id)
    return post


@transaction.atomic
def post_vote(*, actor: Person, post: Post, value: int) -> Post:
    """+1, -1, or 0 to take a vote back. Voting the same way twice changes nothing."""
    if value not in (1, 0, -1):
        raise Invalid("A vote is +1, -1 or 0.", field_errors={"value": "Use 1, -1 or 0."})
    _community_for_writing(actor, post.community)
    if access.is_self(actor, post.author_id):
        raise Forbidden("You cannot vote on your own post.")
    post = Post.objects.select_for_update().get(pk=post.pk)  # serialise votes on one post
    existing = Vote.objects.filter(post=post, voter=actor).first()
    old = existing.value if existing else 0
    if old == value:
        return post
    if existing and value == 0:
        existing.delete()
    elif existing:
        existing.value = value
        existing.save(update_fields=["value"])
    else:
        Vote.objects.create(post=post, voter=actor, value=value)
    Post.objects.filter(pk=post.pk).update(score=F("score") + (value - old))
    post.refresh_from_db(fields=["score"])
    activity_record(actor=actor, verb="post.vote", obj=post, community_id=post.community_id)
    if not post.is_question and post.author_id:
        hooks.contributions_changed(person_ids=[post.author_id])
    return post


@transaction.atomic
def answer_accept(*, actor: Person, answer: Post, accept: bool = True) -> Post:
    """Mark (or unmark) the answer that solved the question; one accepted answer at most."""
    if answer.kind != PostKind.ANSWER:
        raise Invalid("Only an answer can be accepted.")
    question = _lock_question(int(answer.question_id or 0))
    if not access.can_accept_answer(actor, question.author_id, question.community):
        raise Forbidden("Only the asker or a community leader can accept an answer.")
    previous = question.accepted_answer_id
    if accept:
        if question.accepted_answer_id == answer.pk:
            return question
        question.accepted_answer = answer
    elif question.accepted_answer_id == answer.pk:
        question.accepted_answer = None
    else:
        return question
    question.last_activity_at = timezone.now()
    question.save(update_fields=["accepted_answer", "last_activity_at"])
    _index_after_commit(question)  # its answers' ranking follows the acceptance
    verb = "answer.accept" if accept else "answer.unaccept"
    activity_record(actor=actor, verb=verb, obj=answer, community_id=question.community_id)
    authors = Post.objects.filter(pk__in=[answer.pk, previous or 0]).values_list(
        "author_id", flat=True
    )
    hooks.contributions_changed(person_ids=[a for a in authors if a])
    if accept and answer.author:
        _tell(
            [answer.author],
            Kind.ACCEPTED,
            actor=actor,
            community=question.community,
            about=answer,
            title=question.title,
            url=question_url(question.pk, answer.pk),
        )
    return question


@transaction.atomic
def question_close_duplicate(*, actor: Person, question: Post, original: Post) -> Post:
    """Close a question as a duplicate: both pages link to each other, answers go there."""
    if not access.can_close_question(actor, question.author_id, question.community):
        raise Forbidden("Only the asker or the community's core team can close a question.")
    if not original.is_question or original.pk == question.pk:
        raise Invalid(
            "Choose another question.",
            field_errors={"duplicate_of": "A question can only duplicate a different question."},
        )
    if not access.readable_wherever(original.community, question.community):
        raise Invalid(
            "Choose an original that everyone who can see this question can read.",
            field_errors={
                "duplicate_of": "The original is in a community some readers of this question "
                "cannot see."
            },
        )
    if original.duplicate_of_id == question.pk:
        raise Invalid(
            "That question is already a duplicate of this one.",
            field_errors={"duplicate_of": "Pick the original, not one of its duplicates."},
        )
    question = _lock_question(question.pk)
    question.duplicate_of = original
    question.closed_at = timezone.now()
    question.save(update_fields=["duplicate_of", "closed_at"])
    _index_after_commit(question)
    hooks.question_closed(question_id=question.pk)
    PostLink.objects.get_or_create(
        from_post=question,
        to_post=original,
        kind=LinkKind.DUPLICATE,
        defaults={"created_by": actor},
    )
    activity_record(
        actor=actor, verb="question.close", obj=question, community_id=question.community_id
    )
    return question


@transaction.atomic
def question_reopen(*, actor: Person, question: Post) -> Post:
    if not access.can_curate_in(actor, question.community):
        raise Forbidden("Only the community's core team can reopen a question.")
    question = _lock_question(question.pk)
    if question.duplicate_of_id:
        PostLink.objects.filter(
            from_post=question, to_post_id=question.duplicate_of_id, kind=LinkKind.DUPLICATE
        ).delete()
    question.duplicate_of = None
    question.closed_at = None
    question.save(update_fields=["duplicate_of", "closed_at"])
    _index_after_commit(question)
    activity_record(
        actor=actor, verb="question.reopen", obj=question, community_id=question.community_id
    )
    return question


@transaction.atomic
def question_reopen_duplicate(
    *,
    actor: Person,
    question_id: int,
    original_id: int,
    duplicate_of_before: int | None,
    closed_at_before: str | None,
    remove_link: bool,
) -> Post:
    """Undo a close-as-duplicate made by a merge: the question as it was before, exactly (its
    earlier closing kept, the duplicate link removed only if the merge made it). Refused when
    the question changed since: someone reopened or re-pointed it."""
    question = _lock_question(question_id)
    if not access.can_curate_in(actor, question.community):
        raise Forbidden("Only the community's core team can reopen a question.")
    if question.duplicate_of_id != original_id or question.closed_at is None:
        raise Invalid(
            f"“{question.title}” was reopened or changed after the merge, so the merge cannot "
            "be undone automatically."
        )
    if remove_link:
        PostLink.objects.filter(
            from_post=question, to_post_id=original_id, kind=LinkKind.DUPLICATE
        ).delete()
    question.duplicate_of_id = duplicate_of_before
    question.closed_at = datetime.fromisoformat(closed_at_before) if closed_at_before else None
    question.save(update_fields=["duplicate_of", "closed_at"])
    _index_after_commit(question)
    activity_record(
        actor=actor, verb="question.reopen", obj=question, community_id=question.community_id
    )
    return question


def question_follow(*, actor: Person, question: Post, follow: bool = True) -> bool:
    if not access.can_view_in(actor, question.community):
        raise Forbidden("You cannot see this question.")
    if follow:
        try:
            with transaction.atomic():
                Follow.objects.create(person=actor, question=question)
        except IntegrityError:
            pass  # already following
    else:
        Follow.objects.filter(person=actor, question=question).delete()
    return follow


@transaction.atomic
def post_thank(*, actor: Person, post: Post) -> bool:
    """Say thanks once; returns whether this was new."""
    _community_for_writing(actor, post.community)
    if access.is_self(actor, post.author_id):
        raise Forbidden("You cannot thank yourself.")
    try:
        with transaction.atomic():
            Thanks.objects.create(person=actor, post=post)
    except IntegrityError:
        return False
    question = _thread(post)
    activity_record(actor=actor, verb="post.thank", obj=post, community_id=post.community_id)
    _tell(
        [post.author] if post.author else [],
        Kind.THANKS,
        actor=actor,
        community=post.community,
        about=post,
        title=question.title,
        url=question_url(question.pk, None if post.is_question else post.pk),
    )
    return True


def question_view_record(*, viewer: Person, question: Post) -> bool:
    """Count the viewer's read of a question's page: once a day per person (a view mark and an
    activity row, core.activity.view_record), and then the question's view count. True when
    this read counted. Not one transaction: on SQLite that would make every page view a
    writer; the count follows the mark, so a failure between them undercounts by one."""
    if not view_record(viewer=viewer, obj=question, community_id=question.community_id):
        return False
    Post.objects.filter(pk=question.pk).update(view_count=F("view_count") + 1)
    return True
