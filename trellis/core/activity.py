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


def view_record(*, viewer: "Person", obj: models.Model, community_id: int | None) -> bool:
    """Count a read once per person per object per day; True when this one counted."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from trellis.core.models import ViewMark

    mark = {
        "person_id": viewer.pk,
        "object_type": obj._meta.model_name or "",
        "object_id": obj.pk,
        "day": timezone.localdate(),
    }
    if ViewMark.objects.filter(**mark).exists():  # the usual case: one indexed read
        return False
    try:
        with transaction.atomic():
            ViewMark.objects.create(**mark)
            activity_record(
                actor=viewer, verb=f"{mark['object_type']}.view", obj=obj, community_id=community_id
            )
    except IntegrityError:  # the same person in two tabs at once
        return False
    return True
