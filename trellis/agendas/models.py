"""Member-driven agendas: topics members propose and vote on before an event, the agenda the
facilitator builds from them (and from the community's open questions and the library items
due for review), and what happens after: notes, the recording, and the follow-ups.

An event has at most one `Agenda`; its `AgendaItem`s are ordered by `position`. Each item says
where it came from (a proposal, a question, a resource, or written by hand) and, in words a
member trusts, why it is there (`reason`). A removed item keeps its row (`removed_at`), so
building the draft again does not bring back what the facilitator took off.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TITLE_MAX = 200
NOTE_MAX = 1000
NOTES_MAX = 50_000


class Proposal(models.Model):
    """A topic a member would like the event to cover; members vote for it (Slido-like)."""

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="agenda_proposals"
    )
    title = models.CharField(max_length=TITLE_MAX)
    note = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept by the vote service with F() in the vote's transaction.
    vote_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["event", "-vote_count", "created_at"], name="proposal_by_votes")
        ]

    def __str__(self) -> str:
        return self.title


class ProposalVote(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "voter"], name="proposal_vote_once")
        ]
        indexes = [models.Index(fields=["voter", "proposal"], name="proposal_vote_by_voter")]

    def __str__(self) -> str:
        return f"{self.voter_id} votes for {self.proposal_id}"


class Agenda(models.Model):
    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="agenda")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # After the event: the facilitator's notes (Markdown, rendered and sanitised as posts are).
    notes = models.TextField(blank=True)
    notes_html = models.TextField(blank=True)
    recording_url = models.URLField(max_length=500, blank=True)
    notes_resource = models.ForeignKey(
        "library.Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"agenda of event {self.event_id}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ItemSource(models.TextChoices):
    PROPOSAL = "proposal", "Proposed by members"
    QUESTION = "question", "Open question"
    RESOURCE = "resource", "Library review"
    CUSTOM = "custom", "Added by the facilitator"


class AgendaItem(models.Model):
    agenda = models.ForeignKey(Agenda, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=ItemSource.choices)
    title = models.CharField(max_length=300)
    reason = models.CharField(max_length=300, blank=True)  # "7 votes", "asked 5 weeks ago, …"
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.ForeignKey(
        "qa.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resource = models.ForeignKey(
        "library.Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who leads this item: credited on the notes in the library.
    speaker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    # The comment that followed up an open question after the event (once, never twice).
    follow_up = models.ForeignKey(
        "qa.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=ItemSource.values), name="agenda_item_source"
            ),
            models.UniqueConstraint(
                fields=["agenda", "proposal"],
                condition=Q(proposal__isnull=False),
                name="agenda_item_one_per_proposal",
            ),
            models.UniqueConstraint(
                fields=["agenda", "question"],
                condition=Q(question__isnull=False),
                name="agenda_item_one_per_question",
            ),
            models.UniqueConstraint(
                fields=["agenda", "resource"],
                condition=Q(resource__isnull=False),
                name="agenda_item_one_per_resource",
            ),
        ]
        indexes = [models.Index(fields=["agenda", "position"], name="agenda_item_order")]

    def __str__(self) -> str:
        return self.title
