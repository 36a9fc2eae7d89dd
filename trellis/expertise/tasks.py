"""Background work of the expertise domain."""

from django.tasks import task

from trellis.expertise import evidence


@task()
def refresh_evidence(person_ids: list[int]) -> int:
    """After an answer or an accept: the people concerned, rebuilt from their own history."""
    return evidence.rebuild(person_ids)


@task()
def rebuild_all_evidence() -> int:
    """Daily, and after imports: everyone's evidence, with decay brought up to date."""
    return evidence.rebuild()
