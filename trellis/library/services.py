"""Every write to the knowledge library: checked, versioned, recorded."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access, hooks
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.core.models import Tag
from trellis.core.text import html_to_text, render_markdown
from trellis.library.models import (
    URL_KINDS,
    QuestionGuide,
    Resource,
    ResourceKind,
    ResourceOwner,
    ResourceTag,
    ResourceVersion,
)
from trellis.people.models import Person
from trellis.qa.models import BodyFormat, Post, PostKind
from trellis.qa.tags import normalise_tags

TITLE_MAX = 200
BODY_MAX = 100_000
MAX_INTERVAL_DAYS = 3650


def _interval_days(resource: Resource) -> int:
    if resource.verification_interval_days:
        return resource.verification_interval_days
    return resource.community.verification_interval_days if resource.community else 90


def _validate(kind: str, title: str, body: str, url: str, interval: int | None) -> None:
    errors: dict[str, str] = {}
    if kind not in ResourceKind.values:
        errors["kind"] = f"Choose one of: {', '.join(ResourceKind.values)}."
    if not title.strip():
        errors["title"] = "Give it a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters."
    if "\x00" in title + body + url:
        errors["body"] = "The text contains a NUL character."
    if len(body) > BODY_MAX:
        errors["body"] = f"Keep it under {BODY_MAX:,} characters."
    if kind in URL_KINDS and not url:
        errors["url"] = "A link or recording needs its address."
    if url and not url.lower().startswith(("https://", "http://")):
        errors["url"] = "Use an http:// or https:// address."
    if kind not in URL_KINDS and not body.strip():
        errors["body"] = "Write the content (Markdown works)."
    if interval is not None and not 1 <= interval <= MAX_INTERVAL_DAYS:
        errors["verification_interval_days"] = f"Between 1 and {MAX_INTERVAL_DAYS} days."
    if errors:
        raise Invalid("Some fields need attention.", field_errors=errors)


def _tags_set(resource: Resource, names: list[str]) -> None:
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    tag_ids = list(Tag.objects.filter(name__in=names).values_list("pk", flat=True))
    ResourceTag.objects.filter(resource=resource).exclude(tag_id__in=tag_ids).delete()
    ResourceTag.objects.bulk_create(
        [ResourceTag(resource=resource, tag_id=t) for t in tag_ids], ignore_conflicts=True
    )


def _version_add(resource: Resource, editor: Person, note: str) -> None:
    ResourceVersion.objects.create(
        resource=resource,
        number=resource.version,
        kind=resource.kind,
        title=resource.title,
        body=resource.body,
        url=resource.url,
        editor=editor,
        note=note[:200],
    )


@transaction.atomic
def resource_create(
    *,
    actor: Person,
    community: Community | None,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    tags: Iterable[str] | str = (),
    verification_interval_days: int | None = None,
    attribution: list[dict[str, object]] | None = None,
    source_post: Post | None = None,
    body_html: str | None = None,
) -> Resource:
    if not access.can_add_resource(actor, community):
        raise Forbidden("Join the community to add to its library.")
    title, body, url = title.strip(), body.strip(), url.strip()
    _validate(kind, title, body, url, verification_interval_days)
    tag_names = normalise_tags(tags)
    now = timezone.now()
    resource = Resource(
        community=community,
        kind=kind,
        title=title,
        body=body,
        body_html=body_html if body_html is not None else render_markdown(body),
        url=url,
        verification_interval_days=verification_interval_days,
        verified_at=now,
        verified_by=actor,
        created_by=actor,
        attribution=attribution or [],
        source_post=source_post,
        created_at=now,
        updated_at=now,
    )
    resource.verify_by = now + timedelta(days=_interval_days(resource))
    resource.save()
    ResourceOwner.objects.create(resource=resource, person=actor)
    _tags_set(resource, tag_names)
    _version_add(resource, actor, "Created")
    _index_after_commit(resource)
    activity_record(
        actor=actor, verb="resource.create", obj=resource, community_id=resource.community_id
    )
    hooks.contributions_changed(person_ids=[actor.pk])
    return resource


def _index_after_commit(resource: Resource) -> None:
    hooks.content_changed(kind=hooks.ContentKind.RESOURCE, ids=[resource.pk])


def _owners_set(resource: Resource, owners: str) -> None:
    """Owners by email (comma or space separated): the people reminded to verify it."""
    emails = {e.strip().lower() for e in owners.replace(",", " ").split() if e.strip()}
    if not emails:
        raise Invalid("Someone must own it.", field_errors={"owners": "Name at least one owner."})
    people = {p.email.lower(): p for p in Person.objects.filter(email__in=emails, is_active=True)}
    unknown = sorted(emails - set(people))
    if unknown:
        raise Invalid(
            "Unknown owner.",
            field_errors={"owners": f"Nobody in the directory has the email {unknown[0][:100]}."},
        )
    ResourceOwner.objects.filter(resource=resource).exclude(person__in=people.values()).delete()
    ResourceOwner.objects.bulk_create(
        [ResourceOwner(resource=resource, person=p) for p in people.values()],
        ignore_conflicts=True,
    )


def _owner_ids(resource: Resource) -> set[int]:
    return set(ResourceOwner.objects.filter(resource=resource).values_list("person_id", flat=True))


def _check_can_edit(actor: Person, resource: Resource) -> None:
    if not access.can_edit_content(actor, _owner_ids(resource), resource.community):
        raise Forbidden("Only the owners or the community's core team can change this resource.")


@transaction.atomic
def resource_update(
    *,
    actor: Person,
    resource: Resource,
    title: str,
    body: str,
    url: str = "",
    kind: str | None = None,
    tags: Iterable[str] | str | None = None,
    verification_interval_days: int | None = None,
    note: str = "",
    owners: str | None = None,
) -> Resource:
    """Save a new version. Editing is also verifying: the editor has just read it through."""
    _check_can_edit(actor, resource)
    resource = (
        Resource.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=resource.pk)
    )
    owners_before = _owner_ids(resource)
    kind = kind or resource.kind
    title, body, url = title.strip(), body.strip(), url.strip()
    _validate(kind, title, body, url, verification_interval_days)
    now = timezone.now()
    resource.kind, resource.title, resource.body, resource.url = kind, title, body, url
    resource.body_html = render_markdown(body)
    resource.verification_interval_days = verification_interval_days
    resource.version += 1
    resource.updated_at = resource.verified_at = now
    resource.verified_by = actor
    resource.verify_by = now + timedelta(days=_interval_days(resource))
    resource.reminded_at = None
    resource.save()
    if tags is not None:
        _tags_set(resource, normalise_tags(tags))
    if owners is not None:
        _owners_set(resource, owners)
    _version_add(resource, actor, note or "Edited")
    _index_after_commit(resource)
    activity_record(
        actor=actor, verb="resource.update", obj=resource, community_id=resource.community_id
    )
    hooks.contributions_changed(person_ids=[*owners_before, *_owner_ids(resource)])  # tags, owners
    return resource


@transaction.atomic
def resource_verify(*, actor: Person, resource: Resource) -> Resource:
    """The owner confirms the content still holds; the clock starts again."""
    _check_can_edit(actor, resource)
    now = timezone.now()
    resource.verified_at, resource.verified_by = now, actor
    resource.verify_by = now + timedelta(days=_interval_days(resource))
    resource.reminded_at = None
    resource.obsolete_at = None
    resource.save(
        update_fields=["verified_at", "verified_by", "verify_by", "reminded_at", "obsolete_at"]
    )
    _index_after_commit(resource)  # verifying revives an obsolete one
    activity_record(
        actor=actor, verb="resource.verify", obj=resource, community_id=resource.community_id
    )
    return resource


@transaction.atomic
def resource_mark_obsolete(*, actor: Person, resource: Resource, obsolete: bool = True) -> Resource:
    _check_can_edit(actor, resource)
    resource.obsolete_at = timezone.now() if obsolete else None
    resource.save(update_fields=["obsolete_at"])
    _index_after_commit(resource)  # obsolete ones rank last
    verb = "resource.obsolete" if obsolete else "resource.revive"
    activity_record(actor=actor, verb=verb, obj=resource, community_id=resource.community_id)
    # an obsolete guide counts not
    hooks.contributions_changed(person_ids=list(_owner_ids(resource)))
    return resource


def _canonical_root(resource: Resource) -> Resource:
    """Follow duplicate-of links to the resource that is kept (cycles cannot be stored)."""
    seen = {resource.pk}
    while resource.canonical_id and resource.canonical_id not in seen:
        seen.add(resource.canonical_id)
        resource = Resource.objects.select_related("community").get(pk=resource.canonical_id)
    return resource


@transaction.atomic
def resource_mark_duplicate(
    *, actor: Person, resource: Resource, canonical: Resource | None
) -> Resource:
    """Point a resource at the canonical version of the same knowledge (None undoes it)."""
    if not access.can_curate_in(actor, resource.community):
        _check_can_edit(actor, resource)
    if canonical is not None and canonical.pk == resource.pk:
        raise Invalid(
            "A resource cannot be its own canonical version.",
            field_errors={"canonical": "Choose another resource."},
        )
    if canonical is not None and not access.readable_wherever(
        canonical.community, resource.community
    ):
        raise Invalid(
            "Choose a canonical resource everyone who reads this one can read.",
            field_errors={"canonical": "It is in a community some readers cannot see."},
        )
    if canonical is not None:
        root = _canonical_root(canonical)
        if root.pk == resource.pk:
            raise Invalid(
                "That would make a loop.",
                field_errors={"canonical": "The canonical version cannot be a duplicate of this."},
            )
        canonical = root
    resource.canonical = canonical
    resource.save(update_fields=["canonical"])
    _index_after_commit(resource)  # a duplicate leaves search; undone, it comes back
    # Anything that pointed here now points at the new root, so redirects take one hop.
    if canonical is not None:
        Resource.objects.filter(canonical=resource).update(canonical=canonical)
    activity_record(
        actor=actor, verb="resource.duplicate", obj=resource, community_id=resource.community_id
    )
    hooks.contributions_changed(person_ids=list(_owner_ids(resource)))  # a duplicate counts not
    return resource


@dataclass(frozen=True)
class MergeTrace:
    """What `resource_merge` changed, as plain data (kept in the merge's record), so that
    `resource_merge_undo` can put back exactly the state before."""

    canonical_id: int
    version_before: int
    version_after: int
    attribution_before: list[dict[str, object]]
    # Each merged duplicate: (id, its canonical before, its canonical after).
    duplicates: list[tuple[int, int | None, int | None]] = field(default_factory=list)
    # Resources that pointed at a merged duplicate and were moved on: (id, duplicate, after).
    repointed: list[tuple[int, int, int | None]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "MergeTrace":
        return cls(
            canonical_id=data["canonical_id"],
            version_before=data["version_before"],
            version_after=data["version_after"],
            attribution_before=data["attribution_before"],
            duplicates=[(d[0], d[1], d[2]) for d in data["duplicates"]],
            repointed=[(r[0], r[1], r[2]) for r in data["repointed"]],
        )


@transaction.atomic
def resource_merge(*, actor: Person, canonical: Resource, duplicates: list[Resource]) -> MergeTrace:
    """Fold duplicates into one canonical resource: their addresses redirect to it, their
    own versions stay in their history, and their authors are credited on it."""
    if not access.can_curate_in(actor, canonical.community):
        raise Forbidden("Only the community's core team can merge resources.")
    trace = MergeTrace(
        canonical_id=canonical.pk,
        version_before=canonical.version,
        version_after=canonical.version,
        attribution_before=list(canonical.attribution),
    )
    merged = []
    for duplicate in duplicates:
        if duplicate.pk == canonical.pk:
            continue
        before = duplicate.canonical_id
        pointing = list(Resource.objects.filter(canonical=duplicate).values_list("pk", flat=True))
        resource_mark_duplicate(actor=actor, resource=duplicate, canonical=canonical)
        trace.duplicates.append((duplicate.pk, before, duplicate.canonical_id))
        trace.repointed.extend((pk, duplicate.pk, duplicate.canonical_id) for pk in pointing)
        owners = list(duplicate.owners.all())
        credited = owners or ([duplicate.created_by] if duplicate.created_by else [])
        for person in credited:
            canonical.attribution.append(
                {"name": person.name, "person_id": person.pk,
                 "role": f"wrote “{duplicate.title}”, merged here", "source_url": "",
                 "license": ""}
            )  # fmt: skip
        merged.append(duplicate.title)
    if merged:
        canonical.version += 1
        canonical.save(update_fields=["attribution", "version"])
        _version_add(canonical, actor, f"Merged {len(merged)} duplicate(s): " + "; ".join(merged))
    return replace(trace, version_after=canonical.version)


@transaction.atomic
def resource_merge_undo(*, actor: Person, trace: MergeTrace) -> Resource:
    """Put back what `resource_merge` changed, exactly: the duplicates point where they did,
    the canonical resource loses the merge's version and credits. Refused when any of them
    changed since (an edit of the canonical one, a duplicate pointed elsewhere or restored):
    undoing then would overwrite someone's later work."""
    ids = [trace.canonical_id, *(d[0] for d in trace.duplicates), *(r[0] for r in trace.repointed)]
    resources = Resource.objects.select_for_update(of=("self",)).select_related("community")
    locked = resources.in_bulk(ids)
    canonical = locked.get(trace.canonical_id)
    if canonical is None:
        raise Invalid("The kept resource was deleted after the merge: there is nothing to undo.")
    if not access.can_curate_in(actor, canonical.community):
        raise Forbidden("Only the community's core team can undo a merge.")
    expected = {pk: after for pk, _, after in [*trace.duplicates, *trace.repointed]}
    changed = [
        pk for pk, after in expected.items() if getattr(locked.get(pk), "canonical_id", -1) != after
    ]
    if canonical.version != trace.version_after:
        changed.insert(0, canonical.pk)
    if changed:
        name = locked[changed[0]].title if changed[0] in locked else "A merged resource"
        raise Invalid(
            f"“{name}” was changed after the merge, so the merge cannot be undone "
            "automatically: change it back by hand if needed."
        )
    for pk, before, _ in trace.duplicates:
        Resource.objects.filter(pk=pk).update(canonical_id=before)
    for pk, duplicate, _ in trace.repointed:
        Resource.objects.filter(pk=pk).update(canonical_id=duplicate)
    if trace.version_after != trace.version_before:
        ResourceVersion.objects.filter(resource=canonical, number=trace.version_after).delete()
    canonical.version = trace.version_before
    canonical.attribution = trace.attribution_before
    canonical.save(update_fields=["version", "attribution"])
    restored = [trace.canonical_id, *(d[0] for d in trace.duplicates)]
    hooks.content_changed(kind=hooks.ContentKind.RESOURCE, ids=restored)  # back in search
    owners = ResourceOwner.objects.filter(resource_id__in=restored).values_list("person_id")
    hooks.contributions_changed(person_ids=sorted({pk for (pk,) in owners}))
    activity_record(
        actor=actor, verb="resource.unmerge", obj=canonical, community_id=canonical.community_id
    )
    return canonical


def question_guide_link(*, actor: Person, question: Post, resource: Resource) -> bool:
    """Point a question at the library resource that answers it (a curator's merge of the
    two); False when the link was already there."""
    if not access.can_curate_in(actor, resource.community):
        raise Forbidden("Only the community's core team can link a question to a guide.")
    _, created = QuestionGuide.objects.get_or_create(
        question=question, resource=resource, defaults={"created_by": actor}
    )
    return created


def question_guide_unlink(*, actor: Person, question_id: int, resource: Resource) -> None:
    if not access.can_curate_in(actor, resource.community):
        raise Forbidden("Only the community's core team can unlink a question from a guide.")
    QuestionGuide.objects.filter(question_id=question_id, resource=resource).delete()


def _post_markdown(post: Post) -> str:
    if post.body_format == BodyFormat.MARKDOWN:
        return post.body
    return html_to_text(post.body_html)


def _author_name(post: Post) -> str:
    return post.author.name if post.author else (post.source_author or "someone")


def thread_attribution(*, question: Post, answers: list[Post]) -> list[dict[str, object]]:
    """Whom a guide made from a thread credits: the asker and the answers it is made of."""
    return [
        {
            "name": _author_name(post),
            "person_id": post.author_id,
            "role": "asked" if post.is_question else "answered",
            "source_url": post.source_url,
            "license": post.license,
        }
        for post in [question, *answers]
    ]


@transaction.atomic
def resource_promote_question(
    *, actor: Person, question: Post, title: str = "", kind: str = ResourceKind.GUIDE
) -> Resource:
    """Turn a solved thread into a guide that credits its authors and links back to it."""
    if question.kind != PostKind.QUESTION:
        raise Invalid("Only a question thread can be promoted.")
    if not access.can_curate_in(actor, question.community):
        raise Forbidden("Only the community's core team can promote a thread to a guide.")
    answers = list(
        Post.objects.filter(question=question).select_related("author").order_by("-score", "pk")
    )
    answers.sort(key=lambda a: a.pk != question.accepted_answer_id)
    chosen = answers[:3]
    if not chosen:
        raise Invalid("This question has no answer yet: there is nothing to make a guide of.")
    parts = ["## The question", "", _post_markdown(question), ""]
    for answer in chosen:
        accepted = " (accepted)" if answer.pk == question.accepted_answer_id else ""
        parts += [f"## Answer{accepted} by {_author_name(answer)}", "", _post_markdown(answer), ""]
    attribution = thread_attribution(question=question, answers=chosen)
    return resource_create(
        actor=actor,
        community=question.community,
        kind=kind,
        title=(title or question.title).strip(),
        body="\n".join(parts),
        tags=list(question.tags.values_list("name", flat=True)),
        attribution=attribution,
        source_post=question,
    )
