"""Routing writes: asking the people most likely to answer a question, fairly.

A question is routed in rounds. Round 1, just after it is asked: the best `ROUTING_K`
candidates of `routing.rank`. If it is still unanswered after `ESCALATE_AFTER`, round 2: the
next ones. After another delay, round 3: the community's leaders. Any answer, or closing the
question, ends the rounds. In every round only people who may see the question, have not opted
out, are not away and are under their weekly cap (`load.pick`) are asked; a leader may also
connect a question to someone by hand, within the same limits. Every person asked is a stored
`RoutingDecision` with its reason and, later, whether they answered.

Who is ranked, and why, is `expertise/routing.py`; what routing reads is in the selectors.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from trellis.communities.models import Status
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.expertise import load, selectors
from trellis.expertise.models import RoutedQuestion, RoutingDecision, RoutingStage
from trellis.expertise.routing import Draft, rank, reason_for
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person
from trellis.qa.links import question_url
from trellis.qa.models import Post, PostKind

logger = logging.getLogger(__name__)

CONSIDERED = 30  # candidates ranked per round, before availability and caps
LAST_ROUND = 3
NOTE_MAX = 200


def routing_k() -> int:
    return int(getattr(settings, "TRELLIS_ROUTING_K", 3))


def escalate_after() -> timedelta:
    return timedelta(hours=float(getattr(settings, "TRELLIS_ROUTING_ESCALATE_HOURS", 24)))


def _under_cap(ranked: list[int], k: int, now: datetime) -> list[int]:
    """The first `k` of `ranked` still under their weekly cap (call with their rows locked)."""
    return load.pick(ranked, k=k, routed_this_week=selectors.routed_this_week(ranked, now),
                     caps=selectors.weekly_caps(ranked))  # fmt: skip


def _lock_question(question_id: int) -> Post | None:
    """Every routing write about a question takes its row first (as `answer_post` does), so
    rounds, passes, connects and answers about one question run one at a time and in one lock
    order: the question, then its routing state, then people."""
    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("community", "author")
        .filter(pk=question_id, kind=PostKind.QUESTION)
        .first()
    )


def _lock_people(person_ids: Iterable[int]) -> None:
    """Hold these people's rows while their weekly count is read and added to, so that two
    routings at once can never both take someone's last place (no check-then-act). A no-key
    lock: people posting meanwhile (their rows referenced by foreign keys) are not blocked."""
    rows = Person.objects.select_for_update(no_key=True).filter(pk__in=list(person_ids))
    list(rows.order_by("pk").values_list("pk"))


def _ask(
    question: Post,
    people: list[tuple[int, str, float, int]],
    *,
    stage: str,
    now: datetime,
    actor: Person | None,
) -> list[RoutingDecision]:
    """Store and notify: (person, reason, score, position) each."""
    decisions = RoutingDecision.objects.bulk_create(
        [
            RoutingDecision(
                question=question,
                person_id=person,
                community_id=question.community_id,
                stage=stage,
                position=position,
                score=score,
                reason=reason,
                routed_by=actor if stage == RoutingStage.MANUAL else None,
                created_at=now,
            )
            for person, reason, score, position in people
        ]
    )
    if decisions:
        recipients = Person.objects.filter(pk__in=[d.person_id for d in decisions])
        notify(
            recipients=recipients,
            kind=Kind.ROUTED,
            actor=actor or question.author,
            community=question.community,
            target_type="question",
            target_id=question.pk,
            title=question.title,
            url=question_url(question.pk),
        )
        activity_record(
            actor=actor, verb=f"question.route.{stage}", obj=question,
            community_id=question.community_id,
        )  # fmt: skip
    return decisions


def _experts_round(question: Post, stage: str, now: datetime, k: int) -> list[RoutingDecision]:
    tags = tuple(question.tags.values_list("name", flat=True))
    draft = Draft(
        title=question.title, body=question.body, tags=tags,
        community_id=question.community_id, asker_id=question.author_id,
    )  # fmt: skip
    involved = selectors.involved_ids(question)
    ranked = [
        c for c in rank(draft, selectors.question_scope(question), limit=CONSIDERED + len(involved))
        if c.person_id not in involved
    ]  # fmt: skip
    askable = selectors.askable_ids(question, {c.person_id for c in ranked}, now)
    ranked = [c for c in ranked if c.person_id in askable]
    ids = [c.person_id for c in ranked]
    _lock_people(ids)
    chosen = set(_under_cap(ids, k, now))
    people = [
        (c.person_id, reason_for(c), c.score, position)
        for position, c in enumerate(ranked, start=1)
        if c.person_id in chosen
    ]
    return _ask(question, people, stage=stage, now=now, actor=None)


def _leaders_round(question: Post, now: datetime) -> list[RoutingDecision]:
    if question.community is None:
        return []
    leaders = selectors.leader_ids(question.community)
    leaders = selectors.askable_ids(question, leaders - selectors.involved_ids(question), now)
    ids = sorted(leaders)
    _lock_people(ids)
    chosen = _under_cap(ids, len(ids), now)
    reason = f"Nobody has answered yet and you lead {question.community.name}"
    return _ask(question, [(p, reason[:300], 0.0, 0) for p in chosen],
                stage=RoutingStage.LEADER, now=now, actor=None)  # fmt: skip


def _run_round(question: Post, round_no: int, now: datetime) -> list[RoutingDecision]:
    if round_no == 1:
        return _experts_round(question, RoutingStage.EXPERT, now, routing_k())
    if round_no == 2:
        return _experts_round(question, RoutingStage.ESCALATION, now, routing_k())
    return _leaders_round(question, now)


def _still_open(question: Post) -> bool:
    """Unanswered, not closed, and in a community that still takes answers."""
    archived = question.community is not None and question.community.status == Status.ARCHIVED
    return question.closed_at is None and question.answer_count == 0 and not archived


def _advance(state: RoutedQuestion, question: Post, first_round: int, now: datetime) -> int:
    """Run rounds from `first_round` until one asks somebody (a round with nobody to ask
    gives way to the next at once); schedule the next step. Returns how many were asked."""
    round_no, asked = first_round, 0
    while round_no <= LAST_ROUND:
        asked = len(_run_round(question, round_no, now))
        if asked:
            break
        round_no += 1
    state.round = min(round_no, LAST_ROUND)
    state.routed_at = now
    state.next_step_at = now + escalate_after() if round_no < LAST_ROUND else None
    state.save()
    return asked


def question_route(*, question_id: int, now: datetime | None = None) -> int:
    """Round 1 for a new question (a task queued when it is asked). Idempotent: a question
    is routed once; later rounds come from `routing_escalate_due`."""
    now = now or timezone.now()
    with transaction.atomic():
        question = _lock_question(question_id)
        if question is None or not _still_open(question):
            return 0
        state, created = RoutedQuestion.objects.get_or_create(
            question=question, defaults={"routed_at": now}
        )
        if not created:
            return 0
        return _advance(state, question, 1, now)


def routing_escalate_due(*, now: datetime | None = None, batch: int = 200) -> int:
    """The next round for every routed question still unanswered after the delay (a periodic
    job). Returns how many questions moved on."""
    now = now or timezone.now()
    moved = 0
    for question_id in selectors.routing_due_ids(now, batch):
        try:
            moved += _escalate(question_id, now)
        except DatabaseError:  # one question's trouble never holds up the others
            logger.exception("escalating question %s failed; retried at the next run", question_id)
    return moved


def _escalate(question_id: int, now: datetime) -> int:
    with transaction.atomic():
        question = _lock_question(question_id)
        state = (
            RoutedQuestion.objects.select_for_update()
            .filter(pk=question_id, next_step_at__lte=now)
            .first()
        )
        if question is None or state is None:  # gone, or another worker took it
            return 0
        if not _still_open(question):  # checked under the lock: an answer may just have come
            state.next_step_at = None
            state.save(update_fields=["next_step_at"])
            return 0
        _advance(state, question, state.round + 1, now)
        return 1


def routing_answered(*, question_id: int, person_id: int, at: datetime) -> None:
    """For `answer_post`: the routed person (if any) answered, and the rounds stop."""
    RoutingDecision.objects.filter(
        question_id=question_id, person_id=person_id, answered_at__isnull=True
    ).update(answered_at=at)
    RoutedQuestion.objects.filter(pk=question_id).update(next_step_at=None)


def routing_closed(*, question_id: int) -> None:
    """For closing a question: no more rounds."""
    RoutedQuestion.objects.filter(pk=question_id).update(next_step_at=None)


@dataclass(frozen=True)
class Passed:
    decision: RoutingDecision
    replaced_by: int | None  # the person asked in their place, if anyone could be


def routing_pass(*, actor: Person, decision_id: int) -> Passed:
    """ "Not for me": the routed person steps aside, and one more candidate is asked in their
    place while the question is unanswered."""
    now = timezone.now()
    mine = RoutingDecision.objects.filter(pk=decision_id, person_id=access.viewer_id(actor))
    question_id = mine.values_list("question_id", flat=True).first()
    with transaction.atomic():
        question = _lock_question(question_id) if question_id is not None else None
        decision = mine.select_for_update().first()
        if (
            question is None
            or decision is None
            or not access.can_view_in(actor, question.community)
        ):
            raise NotFound("No such request for you.")
        if decision.passed_at is not None or decision.answered_at is not None:
            raise Invalid("You already answered or passed on this request.")
        decision.passed_at = now
        decision.save(update_fields=["passed_at"])
        decision.question = question
        replaced_by = None
        if _still_open(question) and decision.stage in (
            RoutingStage.EXPERT,
            RoutingStage.ESCALATION,
        ):
            asked = _experts_round(question, decision.stage, now, 1)
            replaced_by = asked[0].person_id if asked else None
        activity_record(actor=actor, verb="question.route.pass", obj=question,
                        community_id=question.community_id)  # fmt: skip
    return Passed(decision, replaced_by)


def question_connect(
    *, actor: Person, question: Post, person: Person, note: str = ""
) -> RoutingDecision:
    """A leader asks someone by hand. The same limits as routing: the person must be able to
    see the question, be open to questions and under their weekly cap."""
    community = question.community
    if not access.can_route_in(actor, community):
        raise Forbidden("Only the community's leaders can connect a question to someone.")
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        message = f"At most {NOTE_MAX} characters."
        raise Invalid(message, field_errors={"note": message})
    if "\x00" in note:
        raise Invalid("The note contains a NUL character.", field_errors={"note": "NUL"})
    now = timezone.now()

    def refuse(message: str) -> Invalid:
        return Invalid(message, field_errors={"person": message})

    if person.pk == question.author_id:
        raise refuse("That is the person who asked.")
    if not access.who_can_view_in(community, {person.pk}):
        raise refuse(f"{person.name} cannot see this question.")
    if selectors.unavailable_ids({person.pk}, timezone.localdate(now)):
        raise refuse(f"{person.name} is away or prefers not to be asked.")
    with transaction.atomic():
        if _lock_question(question.pk) is None:
            raise NotFound("No such question.")
        _lock_people([person.pk])
        if not _under_cap([person.pk], 1, now):
            raise refuse(f"{person.name} has been asked as often as they allow this week.")
        reason = f"{actor.name} thought you could help" + (f": {note}" if note else "")
        try:
            with transaction.atomic():
                decisions = _ask(question, [(person.pk, reason[:300], 0.0, 0)],
                                 stage=RoutingStage.MANUAL, now=now, actor=actor)  # fmt: skip
        except IntegrityError:
            raise refuse(f"{person.name} has already been asked about this question.") from None
    return decisions[0]


def routing_waiting(*, limit: int = 20, now: datetime | None = None) -> int:
    """Route the newest open questions nobody has answered and routing never saw (after the
    demo, or a bulk load that wrote questions without asking through `question_ask`)."""
    waiting = selectors.waiting_question_ids(limit)
    return sum(1 for pk in waiting if question_route(question_id=pk, now=now))


def routing_waiting_after_commit(*, limit: int = 20) -> None:
    """For the demo: everyone's evidence rebuilt, then its newest unanswered questions routed
    (one task, so the routing always has the evidence)."""
    from trellis.expertise.tasks import route_waiting_questions

    transaction.on_commit(lambda: route_waiting_questions.enqueue(limit))


def routing_after_commit(*, question_id: int) -> None:
    """On `hooks.question_asked`: find the people to ask once the question is safely stored."""
    from trellis.expertise.tasks import route_question

    transaction.on_commit(lambda: route_question.enqueue(question_id))
