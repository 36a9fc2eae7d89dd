"""Your notifications and how you want to hear from Trellis by email.

Only your own, and only about what you may still see: a notification about a private community
disappears (from the list and the count) the moment you lose access to it.
"""

from datetime import datetime
from typing import Annotated, Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from trellis.api.auth import viewer
from trellis.api.errors import error_responses
from trellis.api.schemas import (
    CommunityRef,
    Flag,
    Id,
    Input,
    Maybe,
    Paged,
    PageParams,
    PersonBrief,
)
from trellis.notifications import selectors, services
from trellis.notifications.models import Digest, Kind, Preference

router = Router(tags=["notifications"])


# -- schemas ------------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: Kind
    actor: PersonBrief | None = Field(description="Who did it.")
    community: CommunityRef | None
    target_type: str = Field(description="post or comment")
    target_id: int
    title: str = Field(description="What it is about, e.g. the question's title.")
    url: str = Field(description="The page to open, relative to the site.")
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Paged[NotificationOut]):
    unread_count: int = Field(description="All your unread notifications, on every page.")


class NotificationParams(PageParams):
    unread: bool = Field(False, description="Only unread ones.")


class MarkReadIn(Input):
    ids: Annotated[list[Id], Field(max_length=1000)] | None = Field(
        None, description="The notifications to mark read; null or left out marks them all."
    )


class UnreadOut(Schema):
    unread_count: int


class PreferenceOut(Schema):
    digest: Digest = Field(description="How often a digest email comes.")
    email_immediate: bool = Field(
        description="Email at once for answers to your questions, mentions, and resources "
        "to verify."
    )


class PreferenceUpdate(Input):
    """Only the fields sent change."""

    digest: Maybe[Digest] = None
    email_immediate: Maybe[Flag] = None


# -- operations ---------------------------------------------------------------------------


@router.get(
    "/notifications",
    response={200: NotificationPage, **error_responses()},
    summary="Your notifications, newest first",
)
def notifications_list(request: HttpRequest, params: Query[NotificationParams]) -> dict[str, Any]:
    actor = viewer(request)
    page = selectors.notification_list(
        viewer=actor, unread_only=params.unread, page=params.page, page_size=params.page_size
    )
    prefetch_related_objects(page.items, "community")
    return {
        "items": page.items,
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "unread_count": selectors.unread_count(actor),
    }


@router.post(
    "/notifications/read",
    response={200: UnreadOut, **error_responses()},
    summary="Mark notifications read",
    description="Ids that are not yours, or already read, are passed over.",
)
def notifications_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    actor = viewer(request)
    services.notifications_mark_read(actor=actor, ids=payload.ids)
    return {"unread_count": selectors.unread_count(actor)}


@router.get(
    "/notifications/preferences",
    response={200: PreferenceOut, **error_responses()},
    summary="How you hear from Trellis by email",
)
def preferences_detail(request: HttpRequest) -> Preference:
    return selectors.preference_for(viewer(request))


@router.patch(
    "/notifications/preferences",
    response={200: PreferenceOut, **error_responses()},
    summary="Change how you hear from Trellis by email",
)
def preferences_update(request: HttpRequest, payload: PreferenceUpdate) -> Preference:
    changes = payload.model_dump(exclude_unset=True)
    return services.preference_set(person=viewer(request), **changes)
