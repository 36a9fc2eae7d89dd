"""The facts the silo map is drawn from (`silos.HelpFact`), read from the database for a
period, for the organisation's map or for every community's.

What a map is built from is decided by `access.silo_map_content`, never by who reads it: the
organisation's from org-wide content and public communities only, a community's from its own
content only. Help is:

- **an answer** written in the period to someone else's question: the answerer helped the
  asker (where the question is, by the question's community);
- **a guide read** in the period (a `resource.view` row; a reader's repeated reads of one
  guide count once): its owners, or its creator when it has none, helped the reader;
- **a session attended** (marked so by its organiser) that started in the period, was not
  cancelled and is over: its facilitator, or its organiser when nobody facilitated, helped
  the attendee.

Departments are people's departments as they stand now (a person who moved takes their help
with them); a department named twice in the tree is told apart by its parent's name. A few
queries whatever the size: one per kind of help, one for the departments, one for people's.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime

from django.db.models import Q

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.models import Activity
from trellis.events.models import Rsvp
from trellis.insights.silos import ANSWER, GUIDE, SESSION, HelpFact
from trellis.library.models import Resource, ResourceOwner
from trellis.people.models import Department, Person
from trellis.qa.models import Post, PostKind

GUIDE_READ = "resource.view"

Content = Callable[[str], Q]  # the condition on a row's community field, given the field's name
ScopedFact = tuple[int | None, HelpFact]  # (the community the help happened in, the fact)
Act = tuple[str | int, ...]  # what makes one piece of help: (kind, ids...)
Raw = tuple[int | None, str, int, int, Act]  # (community, kind, giver, receiver, act)


def _answers(content: Content, start: datetime, end: datetime) -> Iterator[Raw]:
    rows = (
        Post.objects.filter(
            content("question__community"),
            kind=PostKind.ANSWER,
            created_at__gte=start,
            created_at__lt=end,
            author__isnull=False,
            question__author__isnull=False,
        )
        .order_by()
        .values_list("pk", "question__community_id", "author_id", "question__author_id")
    )
    for answer, community, giver, receiver in rows:
        yield community, ANSWER, giver, receiver, (ANSWER, answer)


def _guide_reads(content: Content, start: datetime, end: datetime) -> Iterator[Raw]:
    resources = Resource.objects.filter(content("community"))
    community_of: dict[int, int | None] = {}
    authors: dict[int, list[int]] = defaultdict(list)
    for pk, community, creator in resources.values_list("pk", "community_id", "created_by_id"):
        community_of[pk] = community
        if creator is not None:
            authors[pk].append(creator)
    owned: dict[int, list[int]] = defaultdict(list)
    owners = ResourceOwner.objects.filter(resource__in=resources.values("pk"))
    for resource, person in owners.values_list("resource_id", "person_id"):
        owned[resource].append(person)
    authors.update(owned)  # the owners, where a guide has them
    reads = (
        Activity.objects.filter(
            verb=GUIDE_READ,
            actor__isnull=False,
            created_at__gte=start,
            created_at__lt=end,
            object_id__in=resources.values("pk"),
        )
        .order_by()
        .values_list("object_id", "actor_id")
        .distinct()
    )
    for guide, reader in reads:
        if guide is None:  # never: these are reads of the guides above
            continue
        for author in authors.get(guide, ()):
            yield community_of[guide], GUIDE, author, reader, (GUIDE, guide, reader)


def _sessions(content: Content, start: datetime, end: datetime) -> Iterator[Raw]:
    rows = (
        Rsvp.objects.filter(
            content("event__community"),
            attended=True,
            event__cancelled_at__isnull=True,
            event__starts_at__gte=start,
            event__starts_at__lt=end,
            event__ends_at__lte=end,
        )
        .order_by()
        .values_list(
            "event_id",
            "event__community_id",
            "event__facilitator_id",
            "event__created_by_id",
            "person_id",
        )
    )
    for event, community, facilitator, organiser, attendee in rows:
        giver = facilitator or organiser
        if giver is not None:
            yield community, SESSION, giver, attendee, (SESSION, event, attendee)


def department_names() -> dict[int, str]:
    """Each department's name on the map: its own, or "Parent / Name" when two share it."""
    rows = list(Department.objects.values_list("pk", "name", "parent_id"))
    name_of = {pk: name for pk, name, _ in rows}
    taken: dict[str, int] = defaultdict(int)
    for _, name, _ in rows:
        taken[name.casefold()] += 1
    return {
        pk: f"{name_of[parent]} / {name}"
        if taken[name.casefold()] > 1 and parent in name_of
        else name
        for pk, name, parent in rows
    }


def _facts(content: Content, start: datetime, end: datetime) -> list[ScopedFact]:
    raw = [
        *_answers(content, start, end),
        *_guide_reads(content, start, end),
        *_sessions(content, start, end),
    ]
    names = department_names()
    department_of = {
        pk: names.get(department)
        for pk, department in Person.objects.filter(department__isnull=False).values_list(
            "pk", "department_id"
        )
    }
    return [
        (
            community,
            HelpFact(
                giver_department=department_of.get(giver),
                receiver_department=department_of.get(receiver),
                giver=giver,
                receiver=receiver,
                kind=kind,
                act=act,
            ),
        )
        for community, kind, giver, receiver, act in raw
        if giver != receiver
    ]


def organisation_facts(*, start: datetime, end: datetime) -> list[HelpFact]:
    """The help in [start, end) the organisation's map is built from."""

    def content(field: str) -> Q:
        return access.silo_map_content(None, field)

    return [fact for _, fact in _facts(content, start, end)]


def community_facts(*, community: Community, start: datetime, end: datetime) -> list[HelpFact]:
    """The help in [start, end) one community's map is built from."""

    def content(field: str) -> Q:
        return access.silo_map_content(community, field)

    return [fact for _, fact in _facts(content, start, end)]


def facts_by_community(*, start: datetime, end: datetime) -> dict[int, list[HelpFact]]:
    """Every community's facts in one pass (a few queries, not a few per community): the help
    that happened in each community, which is `access.silo_map_content(community)`."""

    def content(field: str) -> Q:
        return Q(**{f"{field}__isnull": False})

    found: dict[int, list[HelpFact]] = defaultdict(list)
    for community, fact in _facts(content, start, end):
        if community is not None:
            found[community].append(fact)
    return dict(found)
