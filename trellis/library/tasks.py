"""Verification reminders, run daily by the scheduler. Idempotent."""

from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from trellis.library.models import Resource
from trellis.library.selectors import resources_due_for_reminder
from trellis.notifications.models import Kind
from trellis.notifications.services import notify


@task()
def remind_resource_owners() -> int:
    """Tell owners their resources are due for verification, once per due period."""
    reminded = 0
    for resource in resources_due_for_reminder():
        with transaction.atomic():
            claimed = Resource.objects.filter(pk=resource.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not claimed:
                continue
            notify(
                recipients=resource.owners.all(),
                kind=Kind.VERIFY,
                actor=None,
                community=resource.community,
                target_type="resource",
                target_id=resource.pk,
                title=resource.title,
                url=reverse("resource-detail", args=[resource.pk]),
            )
            reminded += 1
    return reminded
