"""Colleagues vouching for what someone knows, on a topic named as a tag."""

from django.db import transaction

from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.core.models import Tag
from trellis.expertise.models import Endorsement
from trellis.people.models import Person
from trellis.qa.tags import normalise_tags


def _one_topic(tag: str) -> Tag:

    try:
        names = normalise_tags([tag])
    except Invalid as error:
        detail = (error.field_errors or {}).get("tags", error.message)
        raise Invalid("That is not a topic.", field_errors={"tag": detail}) from error
    if len(names) != 1:
        raise Invalid("Name one topic.", field_errors={"tag": "Name one topic, as a tag."})
    found, _ = Tag.objects.get_or_create(name=names[0])
    return found


def endorsement_add(*, actor: Person, person: Person, tag: str) -> Endorsement:
    """A colleague vouches for what someone knows. Endorsing twice changes nothing."""
    if not access.can_endorse(actor, person):  # the rule; what follows only says which part
        if not access.is_signed_in(actor):
            raise Forbidden("Sign in to endorse a colleague.")
        if access.is_self(actor, person.pk):
            raise Invalid("You cannot endorse yourself.", field_errors={"tag": "Ask a colleague."})
        raise Invalid("This person has left.", field_errors={"tag": "Not an active colleague."})
    with transaction.atomic():
        topic = _one_topic(tag)
        endorsement, created = Endorsement.objects.get_or_create(
            person=person, tag=topic, endorsed_by=actor
        )
        if created:
            activity_record(actor=actor, verb="person.endorse", obj=person)
    return endorsement


def endorsement_withdraw(*, actor: Person, person: Person, tag: str) -> bool:
    """Take your endorsement back. Whether there was one to take back."""
    with transaction.atomic():
        deleted, _ = Endorsement.objects.filter(
            person=person, endorsed_by_id=access.viewer_id(actor), tag__name=tag.strip().lower()
        ).delete()
        if deleted:
            activity_record(actor=actor, verb="person.endorse.withdraw", obj=person)
    return bool(deleted)
