"""Writes of agendas: proposals and votes, the draft and its editing, publishing, the notes
after the event (to the library) and the follow-ups of open questions; and the feature
switches a community's leaders turn on ("start simple").

Every change to an agenda's items locks the agenda's row first, so two facilitators moving
items at once are served one after the other and the positions stay 1..n.
"""

from dataclasses import dataclass
from datetime import UTC

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from trellis.agendas import scoring, selectors
from trellis.agendas.models import (
    NOTE_MAX,
    NOTES_MAX,
    TITLE_MAX,
    Agenda,
    AgendaItem,
    ItemSource,
    Proposal,
    ProposalVote,
)
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.core.text import render_markdown
from trellis.events.models import Event
from trellis.events.times import zone_or_none
from trellis.library import services as library_services
from trellis.library.models import Resource, ResourceKind
from trellis.people.models import Person
from trellis.qa import services as qa_services

# A circle of an hour covers about six items: the members' own topics first.
PROPOSALS_IN_DRAFT = 3
QUESTIONS_IN_DRAFT = 2
RESOURCES_IN_DRAFT = 1
MAX_ITEMS = 50
NOTES_TAG = "event-notes"


# -- the event ------------------------------------------------------------------------------


def _event(actor: Person, event_id: int) -> Event:
    """The event, if the actor may see it (else it does not exist)."""
    event = Event.objects.select_related("community").filter(pk=event_id).first()
    if event is None or not access.can_view_agenda(actor, event.community):
        raise NotFound("No such event.")
    return event


def _check_editor(actor: Person, event: Event) -> None:
    if not selectors.viewer_may_edit(viewer=actor, event=event):
        raise Forbidden(
            "Only the event's facilitator (or its organiser), the community's core team and "
            "org admins can change its agenda."
        )


def _check_open_for_topics(actor: Person, event: Event) -> None:
    if not access.agendas_enabled_in(event.community):
        raise Invalid(
            "Member-driven agendas are switched off in this community; its leaders can switch "
            "them on in the community's settings."
        )
    if not access.can_propose_topics(actor, event.community):
        raise Forbidden("This community is archived; its events take no more topics.")
    if event.is_cancelled:
        raise Invalid("This event was cancelled, so it takes no more topics or votes.")
    if selectors.has_started(event):
        raise Invalid(
            "This event has started, so it takes no more topics or votes. "
            "Bring yours to the next one."
        )


# -- proposals and votes --------------------------------------------------------------------


def proposal_add(*, actor: Person, event_id: int, title: str, note: str = "") -> Proposal:
    """Propose a topic for the event; the proposer's own vote comes with it."""
    event = _event(actor, event_id)
    title, note = title.strip(), note.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Say in a few words what you would like to talk about."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"At most {TITLE_MAX} characters."
    if len(note) > NOTE_MAX:
        errors["note"] = f"At most {NOTE_MAX:,} characters."
    if "\x00" in title + note:
        errors["title"] = "The text contains a NUL character."
    if errors:
        raise Invalid(
            f"The topic was not added: {next(iter(errors.values()))}", field_errors=errors
        )
    with transaction.atomic():
        Event.objects.select_for_update().filter(pk=event.pk).values_list("pk").first()
        _check_open_for_topics(actor, event)
        if Proposal.objects.filter(event=event, title__iexact=title).exists():
            raise Invalid(
                "That topic is already proposed: vote for it instead.",
                field_errors={"title": "Already proposed: vote for it instead."},
            )
        proposal = Proposal.objects.create(
            event=event, title=title, note=note, proposed_by=actor, vote_count=1
        )
        ProposalVote.objects.create(proposal=proposal, voter=actor)
        activity_record(
            actor=actor, verb="agenda.propose", obj=proposal, community_id=event.community_id
        )
    return proposal


def proposal_vote_set(*, actor: Person, proposal_id: int, voted: bool) -> Proposal:
    """Vote for a topic, or take the vote back: one vote per person per topic."""
    proposal = Proposal.objects.filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound("No such topic.")
    event = _event(actor, proposal.event_id)
    with transaction.atomic():
        Event.objects.select_for_update().filter(pk=event.pk).values_list("pk").first()
        _check_open_for_topics(actor, event)
        if voted:
            try:
                with transaction.atomic():
                    ProposalVote.objects.create(proposal=proposal, voter=actor)
            except IntegrityError:
                pass  # already voted: a second click changes nothing
            else:
                Proposal.objects.filter(pk=proposal.pk).update(vote_count=F("vote_count") + 1)
        else:
            removed, _ = ProposalVote.objects.filter(proposal=proposal, voter=actor).delete()
            if removed:
                Proposal.objects.filter(pk=proposal.pk).update(vote_count=F("vote_count") - 1)
        activity_record(
            actor=actor,
            verb="agenda.vote" if voted else "agenda.unvote",
            obj=proposal,
            community_id=event.community_id,
        )
    proposal.refresh_from_db()
    return proposal


def proposal_vote_toggle(*, actor: Person, proposal_id: int) -> Proposal:
    voted = ProposalVote.objects.filter(proposal_id=proposal_id, voter=actor).exists()
    return proposal_vote_set(actor=actor, proposal_id=proposal_id, voted=not voted)


# -- the draft ------------------------------------------------------------------------------


def _locked_agenda(event: Event) -> Agenda:
    agenda, _ = Agenda.objects.get_or_create(event=event)
    return Agenda.objects.select_for_update().get(pk=agenda.pk)


def _next_position(agenda: Agenda) -> int:
    last = (
        AgendaItem.objects.filter(agenda=agenda, removed_at__isnull=True)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return (last or 0) + 1


def _renumber(agenda: Agenda, ordered: list[AgendaItem]) -> None:
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    Agenda.objects.filter(pk=agenda.pk).update(updated_at=timezone.now())


def _live_items(agenda: Agenda) -> list[AgendaItem]:
    return list(
        AgendaItem.objects.filter(agenda=agenda, removed_at__isnull=True).order_by("position", "pk")
    )


@dataclass(frozen=True)
class DraftResult:
    agenda: Agenda
    added: int


def agenda_draft_build(*, actor: Person, event_id: int) -> DraftResult:
    """Build the draft, or bring it up to date: the top proposals, the community's most-wanted
    open questions and the library items due for review that are not on it yet (nor taken
    off it) are added at the end, and the reasons of those already on it are refreshed."""
    event = _event(actor, event_id)
    _check_editor(actor, event)
    community = event.community
    now = timezone.now()
    with transaction.atomic():
        agenda = _locked_agenda(event)
        known = AgendaItem.objects.filter(agenda=agenda)
        seen_proposals = set(known.exclude(proposal=None).values_list("proposal_id", flat=True))
        seen_questions = set(known.exclude(question=None).values_list("question_id", flat=True))
        seen_resources = set(known.exclude(resource=None).values_list("resource_id", flat=True))
        candidates: list[AgendaItem] = []
        top = list(
            Proposal.objects.filter(event=event)
            .select_related("proposed_by")
            .order_by("-vote_count", "created_at", "pk")[:PROPOSALS_IN_DRAFT]
        )
        for proposal in top:
            reason = scoring.proposal_reason(
                votes=proposal.vote_count,
                proposer=proposal.proposed_by.name if proposal.proposed_by else None,
            )
            if proposal.pk in seen_proposals:
                known.filter(proposal=proposal, removed_at__isnull=True).update(reason=reason)
                continue
            candidates.append(
                AgendaItem(
                    source=ItemSource.PROPOSAL,
                    title=proposal.title,
                    reason=reason,
                    proposal=proposal,
                )
            )
        for question in selectors.wanted_questions(community=community, limit=QUESTIONS_IN_DRAFT):
            reason = scoring.question_reason(
                votes=question.score,
                views=question.view_count,
                answers=question.answer_count,
                asked_at=question.created_at,
                now=now,
            )
            if question.pk in seen_questions:
                known.filter(question=question, removed_at__isnull=True).update(reason=reason)
                continue
            candidates.append(
                AgendaItem(
                    source=ItemSource.QUESTION,
                    title=question.title,
                    reason=reason,
                    question=question,
                )
            )
        for resource in selectors.due_resources(community=community, limit=RESOURCES_IN_DRAFT):
            if resource.pk in seen_resources:
                continue
            reason = scoring.resource_reason(
                kind_label=resource.get_kind_display(), verify_by=resource.verify_by, now=now
            )
            candidates.append(
                AgendaItem(
                    source=ItemSource.RESOURCE,
                    title=f"Review: {resource.title}"[:300],
                    reason=reason,
                    resource=resource,
                )
            )
        position = _next_position(agenda)
        room = MAX_ITEMS - (position - 1)
        for item in candidates[: max(0, room)]:
            item.agenda, item.position = agenda, position
            item.save()
            position += 1
        Agenda.objects.filter(pk=agenda.pk).update(updated_at=now)
        activity_record(
            actor=actor, verb="agenda.draft", obj=agenda, community_id=event.community_id
        )
    return DraftResult(agenda, min(len(candidates), max(0, room)))


def _item(actor: Person, item_id: int) -> tuple[AgendaItem, Event]:
    item = AgendaItem.objects.select_related("agenda").filter(pk=item_id).first()
    if item is None:
        raise NotFound("No such agenda item.")
    event = _event(actor, item.agenda.event_id)
    _check_editor(actor, event)
    return item, event


def agenda_item_move(*, actor: Person, item_id: int, direction: str) -> AgendaItem:
    """Up or down by one place."""
    if direction not in ("up", "down"):
        raise Invalid("Move an item up or down.", field_errors={"direction": "Up or down."})
    item, event = _item(actor, item_id)
    with transaction.atomic():
        agenda = _locked_agenda(event)
        ordered = _live_items(agenda)
        index = next((i for i, it in enumerate(ordered) if it.pk == item.pk), None)
        if index is None:
            raise NotFound("No such agenda item.")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
            _renumber(agenda, ordered)
        activity_record(actor=actor, verb="agenda.move", obj=item, community_id=event.community_id)
    item.refresh_from_db()
    return item


def _person_by_email(email: str, event: Event) -> Person:
    """A speaker: someone in the directory who may see the event (a private community's
    notes must not credit, and make an owner of, someone who cannot open them)."""
    email = email.strip()
    person = Person.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if person is not None and not access.who_can_view_in(event.community, {person.pk}):
        person = None
    if person is None:
        raise Invalid(
            "Nobody in the directory has that email.",
            field_errors={"speaker": f"Nobody in the directory has the email {email[:100]}."},
        )
    return person


def agenda_item_update(
    *, actor: Person, item_id: int, position: int | None = None, speaker_email: str | None = None
) -> AgendaItem:
    """Put the item at a place (1 first) and say who leads it (an empty email: nobody):
    the ordering that works without dragging or scripts."""
    item, event = _item(actor, item_id)
    speaker = None
    if speaker_email:
        speaker = _person_by_email(speaker_email, event)
    with transaction.atomic():
        agenda = _locked_agenda(event)
        ordered = _live_items(agenda)
        mine = next((it for it in ordered if it.pk == item.pk), None)
        if mine is None:
            raise NotFound("No such agenda item.")
        if position is not None:
            if not 1 <= position <= len(ordered):
                raise Invalid(
                    f"Choose a place between 1 and {len(ordered)}.",
                    field_errors={"position": f"Between 1 and {len(ordered)}."},
                )
            ordered.remove(mine)
            ordered.insert(position - 1, mine)
            _renumber(agenda, ordered)
        if speaker_email is not None:
            mine.speaker = speaker
            mine.save(update_fields=["speaker"])
        activity_record(
            actor=actor, verb="agenda.item.update", obj=mine, community_id=event.community_id
        )
    mine.refresh_from_db()
    return mine


def agenda_item_remove(*, actor: Person, item_id: int) -> None:
    """Take an item off the agenda; building the draft again does not bring it back."""
    item, event = _item(actor, item_id)
    with transaction.atomic():
        agenda = _locked_agenda(event)
        updated = AgendaItem.objects.filter(pk=item.pk, removed_at__isnull=True).update(
            removed_at=timezone.now()
        )
        if not updated:
            raise NotFound("No such agenda item.")
        _renumber(agenda, _live_items(agenda))
        activity_record(
            actor=actor, verb="agenda.item.remove", obj=item, community_id=event.community_id
        )


def agenda_item_add(
    *, actor: Person, event_id: int, title: str, reason: str = "", speaker_email: str = ""
) -> AgendaItem:
    """An item of the facilitator's own, at the end."""
    event = _event(actor, event_id)
    _check_editor(actor, event)
    title, reason = title.strip(), reason.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the item a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"At most {TITLE_MAX} characters."
    if len(reason) > 300:
        errors["reason"] = "At most 300 characters."
    if "\x00" in title + reason:
        errors["title"] = "The text contains a NUL character."
    if errors:
        raise Invalid(f"The item was not added: {next(iter(errors.values()))}", field_errors=errors)
    speaker = _person_by_email(speaker_email, event) if speaker_email.strip() else None
    with transaction.atomic():
        agenda = _locked_agenda(event)
        position = _next_position(agenda)
        if position > MAX_ITEMS:
            raise Invalid(f"An agenda holds at most {MAX_ITEMS} items.")
        item = AgendaItem.objects.create(
            agenda=agenda,
            position=position,
            source=ItemSource.CUSTOM,
            title=title,
            reason=reason or "added by the facilitator",
            speaker=speaker,
        )
        Agenda.objects.filter(pk=agenda.pk).update(updated_at=timezone.now())
        activity_record(
            actor=actor, verb="agenda.item.add", obj=item, community_id=event.community_id
        )
    return item


def agenda_publish(*, actor: Person, event_id: int, publish: bool = True) -> Agenda:
    """Show the agenda to everyone who may see the event (or take it back to a draft).
    Changes after publishing show at once."""
    event = _event(actor, event_id)
    _check_editor(actor, event)
    with transaction.atomic():
        agenda = _locked_agenda(event)
        if publish and not _live_items(agenda):
            raise Invalid("The agenda is empty: build the draft or add an item first.")
        agenda.published_at = timezone.now() if publish else None
        agenda.published_by = actor if publish else None
        agenda.updated_at = timezone.now()
        agenda.save(update_fields=["published_at", "published_by", "updated_at"])
        activity_record(
            actor=actor,
            verb="agenda.publish" if publish else "agenda.unpublish",
            obj=agenda,
            community_id=event.community_id,
        )
    return agenda


# -- after the event ------------------------------------------------------------------------


def _check_started(event: Event) -> None:
    if not selectors.has_started(event):
        raise Invalid("Notes come after the event has started.")
    if event.is_cancelled:
        raise Invalid("This event was cancelled; it has no notes.")


def agenda_notes_save(
    *, actor: Person, event_id: int, notes: str, recording_url: str = ""
) -> Agenda:
    """The facilitator's notes (Markdown, sanitised as posts are) and the recording link."""
    event = _event(actor, event_id)
    _check_editor(actor, event)
    notes, recording_url = notes.strip(), recording_url.strip()
    errors: dict[str, str] = {}
    if len(notes) > NOTES_MAX:
        errors["notes"] = f"At most {NOTES_MAX:,} characters."
    if "\x00" in notes:
        errors["notes"] = "The text contains a NUL character."
    if recording_url:
        try:
            URLValidator(schemes=["http", "https"])(recording_url)
        except ValidationError:
            errors["recording_url"] = "Enter a full web address, starting with https://."
        if len(recording_url) > 500:
            errors["recording_url"] = "At most 500 characters."
    if errors:
        raise Invalid(
            f"The notes were not saved: {next(iter(errors.values()))}", field_errors=errors
        )
    _check_started(event)
    with transaction.atomic():
        agenda = _locked_agenda(event)
        agenda.notes = notes
        agenda.notes_html = render_markdown(notes) if notes else ""
        agenda.recording_url = recording_url
        agenda.updated_at = timezone.now()
        agenda.save(update_fields=["notes", "notes_html", "recording_url", "updated_at"])
        activity_record(
            actor=actor, verb="agenda.notes", obj=agenda, community_id=event.community_id
        )
    return agenda


def _runner(event: Event) -> Person | None:
    runner_id = event.facilitator_id or event.created_by_id
    return Person.objects.filter(pk=runner_id, is_active=True).first() if runner_id else None


def _local_day(event: Event, *, long: bool = False) -> str:
    """The event's day where it was planned: "3 Nov 2026" (or "3 November 2026")."""
    when = event.starts_at.astimezone(zone_or_none(event.time_zone) or UTC)
    return f"{when.day} {when:%B %Y}" if long else f"{when.day} {when:%b %Y}"


def _notes_body(event: Event, agenda: Agenda, items: list[AgendaItem]) -> str:
    zone_day = _local_day(event, long=True)
    where = f" of {event.community.name}" if event.community else ""
    lines = [
        f"Notes from **{event.title}**, the {event.get_kind_display().lower()}{where} "
        f"on {zone_day}. [The event]({reverse('event-detail', args=[event.pk])}) · "
        f"[its agenda]({reverse('agenda-detail', args=[event.pk])}).",
        "",
    ]
    if agenda.recording_url:
        lines += [f"Recording: <{agenda.recording_url}>", ""]
    if items:
        lines += ["## Agenda", ""]
        for number, item in enumerate(items, start=1):
            led = f", led by {item.speaker.name}" if item.speaker else ""
            lines.append(f"{number}. {item.title}{led}")
        lines.append("")
    lines += ["## Notes", "", agenda.notes or "_No notes were written._"]
    return "\n".join(lines)


@dataclass(frozen=True)
class NotesPublished:
    resource: Resource
    created: bool
    followed_up: int


def agenda_notes_publish(*, actor: Person, event_id: int) -> NotesPublished:
    """Publish the notes (and recording link) to the community's library as a guide credited
    to the facilitator and the speakers, linked from the event's agenda; publishing again
    updates the same guide. Then each open question on the agenda gets a comment pointing at
    the notes (once: its asker and followers read it on the question), so the thread shows
    where it was discussed."""
    event = _event(actor, event_id)
    _check_editor(actor, event)
    _check_started(event)
    with transaction.atomic():
        agenda = _locked_agenda(event)
        if not agenda.notes.strip():
            raise Invalid(
                "Write the notes first: they are what the library keeps.",
                field_errors={"notes": "Write the notes first."},
            )
        live = list(
            AgendaItem.objects.filter(agenda=agenda, removed_at__isnull=True)
            .select_related("speaker", "question")
            .order_by("position", "pk")
        )
        runner = _runner(event)
        credited: list[Person] = [p for p in [runner] if p is not None]
        for item in live:
            if item.speaker is not None and item.speaker.is_active and item.speaker not in credited:
                credited.append(item.speaker)
        attribution: list[dict[str, object]] = [
            {
                "name": person.name,
                "person_id": person.pk,
                "role": "facilitated" if person == runner else "spoke",
                "source_url": "",
                "license": "",
            }
            for person in credited
        ]
        day = _local_day(event)
        title = f"Notes: {event.title} ({day})"[:200]
        body = _notes_body(event, agenda, live)
        resource = agenda.notes_resource
        created = resource is None
        if resource is None:
            resource = library_services.resource_create(
                actor=actor,
                community=event.community,
                kind=ResourceKind.GUIDE,
                title=title,
                body=body,
                url=agenda.recording_url,
                tags=[NOTES_TAG],
                attribution=attribution,
            )
        owners = {p.email for p in credited} or {actor.email}
        current = set(resource.owners.values_list("email", flat=True))
        if not created or owners != current:
            resource.attribution = attribution
            resource.save(update_fields=["attribution"])
            resource = library_services.resource_update(
                actor=actor,
                resource=resource,
                title=title,
                body=body,
                url=agenda.recording_url,
                owners=" ".join(sorted(owners)),
                note="Credited the facilitator and speakers" if created else "Notes updated",
            )
        agenda.notes_resource = resource
        agenda.notes_published_at = timezone.now()
        agenda.save(update_fields=["notes_resource", "notes_published_at"])
        followed = _follow_up(actor, event, resource, live)
        activity_record(
            actor=actor, verb="agenda.notes.publish", obj=agenda, community_id=event.community_id
        )
    return NotesPublished(resource, created, followed)


def _follow_up(actor: Person, event: Event, resource: Resource, live: list[AgendaItem]) -> int:
    """A comment on each agenda question still open and not yet followed up."""
    day = _local_day(event)
    done = 0
    for item in live:
        question = item.question
        if question is None or item.follow_up_id is not None:
            continue
        if question.accepted_answer_id is not None or question.closed_at is not None:
            continue
        body = (
            f"Discussed at [{event.title}]({reverse('agenda-detail', args=[event.pk])}) "
            f"on {day}: the notes are in the library, "
            f"[{resource.title}]({reverse('resource-detail', args=[resource.pk])})."
        )
        comment = qa_services.comment_add(actor=actor, post=question, body=body)
        AgendaItem.objects.filter(pk=item.pk).update(follow_up=comment)
        done += 1
    return done


# -- start simple ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    events: bool
    agendas: bool
    rotation: bool


def community_features_set(*, actor: Person, community: Community, features: Features) -> Community:
    """Switch the community's events, agendas and rotation on or off. Agendas and rotation
    belong to events, so they are off whenever events are."""
    if not access.can_view_community(actor, community):
        raise NotFound("No such community.")
    if not access.can_switch_features(actor, community):
        raise Forbidden("Only the community's leaders can switch its features on or off.")
    with transaction.atomic():
        community.events_enabled = features.events
        community.agendas_enabled = features.events and features.agendas
        community.rotation_enabled = features.events and features.rotation
        community.save(
            update_fields=["events_enabled", "agendas_enabled", "rotation_enabled", "updated_at"]
        )
        activity_record(
            actor=actor, verb="community.features", obj=community, community_id=community.pk
        )
    return community
