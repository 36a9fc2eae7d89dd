"""Background work of the expertise domain."""

from django.tasks import task

from trellis.expertise.services import evidence, routing, topics


@task()
def refresh_evidence(person_ids: list[int]) -> int:
    """After an answer or an accept: the people concerned, rebuilt from their own history."""
    return evidence.evidence_rebuild(person_ids=person_ids)


@task()
def rebuild_all_evidence() -> int:
    """Daily, and after imports: topics relearned, then everyone's evidence, with decay
    brought up to date."""
    topics.topics_learn()
    return evidence.evidence_rebuild()


@task()
def learn_topics() -> int:
    """When a bulk embedding has finished: topics learned from the new vectors."""
    return topics.topics_learn()


@task()
def route_question(question_id: int) -> int:
    """Just after a question is asked: its first round of routing."""
    return routing.question_route(question_id=question_id)


@task()
def escalate_routed_questions() -> int:
    """Every few minutes: the next round for routed questions nobody has answered in time."""
    return routing.routing_escalate_due()


@task()
def route_waiting_questions(limit: int = 20) -> int:
    """After the demo: everyone's evidence, then its newest unanswered questions routed, in
    that order within one task (several workers give no order between tasks)."""
    evidence.evidence_rebuild()
    return routing.routing_waiting(limit=limit)
