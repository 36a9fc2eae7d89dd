"""Recording activity: every service write and every page view worth counting."""

from typing import TYPE_CHECKING

from django.db import models

from trellis.core.models import Activity

if TYPE_CHECKING:
    from trellis.people.models import Person


def activity_record(
    *,
    actor: "Person | None",
    verb: str,
    obj: models.Model | None = None,
    community_id: int | None = None,
) -> Activity:
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    return Activity.objects.create(
        actor_id=actor_id,
        verb=verb,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        community_id=community_id,
    )
