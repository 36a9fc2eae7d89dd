"""Reads of the library, shaped for the viewer: nothing in a private community leaks."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import NotFound
from trellis.core.models import Tag
from trellis.core.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from trellis.library.models import (
    DUE_BEFORE,
    STALE_AFTER,
    Freshness,
    QuestionGuide,
    Resource,
    ResourceVersion,
)
from trellis.people.models import Person


def visible_resources(viewer: access.Viewer) -> QuerySet[Resource]:
    return Resource.objects.filter(access.visible_community_filter(viewer))


def resource_list(
    *,
    viewer: access.Viewer,
    community: Community | None = None,
    kind: str = "",
    state: str = "",
    tag: str = "",
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[Resource]:
    """Current resources (duplicates folded into their canonical one), newest change first."""
    if community is not None and not access.can_view_community(viewer, community):
        raise NotFound("No such community, or it is private.")
    resources = visible_resources(viewer).filter(canonical__isnull=True)
    if community is not None:
        resources = resources.filter(community=community)
    if kind:
        resources = resources.filter(kind=kind)
    if tag:
        resources = resources.filter(resourcetag__tag__name=tag)
    now = timezone.now()
    if state == Freshness.OBSOLETE:
        resources = resources.filter(obsolete_at__isnull=False)
    elif state:
        resources = resources.filter(obsolete_at__isnull=True)
        if state == Freshness.FRESH:
            resources = resources.filter(verify_by__gt=now + DUE_BEFORE)
        elif state == Freshness.DUE:
            resources = resources.filter(
                verify_by__lte=now + DUE_BEFORE, verify_by__gt=now - STALE_AFTER
            )
        elif state == Freshness.STALE:
            resources = resources.filter(verify_by__lte=now - STALE_AFTER)
    ordered = (
        resources.order_by("-updated_at", "-pk")
        .select_related("community")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            Prefetch("owners", queryset=Person.objects.order_by("name")),
        )
    )
    return paginate(ordered, page=page, page_size=page_size)


def library_size(*, viewer: access.Viewer, community: Community) -> int:
    """The community page's count of its library: canonical resources, not their duplicates."""
    if not access.can_view_community(viewer, community):
        raise NotFound("No such community, or it is private.")
    return Resource.objects.filter(community=community, canonical__isnull=True).count()


def resource_get(*, viewer: access.Viewer, resource_id: int) -> Resource:
    resource = (
        visible_resources(viewer)
        .select_related("community", "verified_by", "source_post", "canonical")
        .filter(pk=resource_id)
        .first()
    )
    if resource is None:
        raise NotFound("No such resource, or it is in a private community.")
    return resource


def resource_owners(resource: Resource) -> list[Person]:
    return list(resource.owners.order_by("name"))


def resource_versions(
    *, viewer: access.Viewer, resource_id: int
) -> tuple[Resource, list[ResourceVersion]]:
    resource = resource_get(viewer=viewer, resource_id=resource_id)
    return resource, list(resource.versions.select_related("editor").order_by("-number"))


def resource_duplicates(*, viewer: access.Viewer, resource: Resource) -> list[Resource]:
    return list(visible_resources(viewer).filter(canonical=resource).order_by("title")[:50])


def promoted_from(*, viewer: access.Viewer, question_id: int) -> list[Resource]:
    return list(visible_resources(viewer).filter(source_post_id=question_id)[:5])


def answering_guides(*, viewer: access.Viewer, question_id: int) -> list[Resource]:
    """Library resources a curator kept as this question's answer when merging duplicates."""
    linked = QuestionGuide.objects.filter(question_id=question_id).values("resource_id")
    return list(visible_resources(viewer).filter(canonical=None, pk__in=linked)[:5])


def resources_due_for_reminder(*, now: datetime | None = None) -> list[Resource]:
    """Resources entering their due window whose owners have not been told yet (for the
    reminder task: no viewer, it reads everywhere)."""
    now = now or timezone.now()
    return list(
        Resource.objects.filter(
            obsolete_at__isnull=True,
            canonical__isnull=True,
            verify_by__lte=now + DUE_BEFORE,
            reminded_at__isnull=True,
        ).select_related("community")[:1000]
    )
