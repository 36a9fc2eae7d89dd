"""Background work of the expertise domain."""

from django.tasks import task

from trellis.expertise import dispatch, evidence, topics


@task()
def refresh_evidence(person_ids: list[int]) -> int:
    """After an answer or an accept: the people concerned, rebuilt from their own history."""
    return evidence.rebuild(person_ids)


@task()
def rebuild_all_evidence() -> int:
    """Daily, and after imports: topics relearned, then everyone's evidence, with decay
    brought up to date."""
    topics.learn()
    return evidence.rebuild()


@task()
def learn_topics() -> int:
    """When a bulk embedding has finished: topics learned from the new vectors."""
    return topics.learn()


@task()
def route_question(question_id: int) -> int:
    """Just after a question is asked: its first round of routing."""
    return dispatch.question_route(question_id=question_id)


@task()
def escalate_routed_questions() -> int:
    """Every few minutes: the next round for routed questions nobody has answered in time."""
    return dispatch.routing_escalate_due()


@task()
def route_waiting_questions(limit: int = 20) -> int:
    """After the demo: everyone's evidence, then its newest unanswered questions routed, in
    that order within one task (several workers give no order between tasks)."""
    evidence.rebuild()
    return dispatch.route_waiting(limit=limit)
