"""Background work of the insights app: the participation levels kept up to date."""

from django.tasks import task

from trellis.insights.services import levels


@task()
def refresh_participation_levels() -> int:
    """Daily: the current month (and the previous one in its first days), from that month's
    counts and the stored months before it."""
    return levels.levels_refresh()


@task()
def rebuild_participation_levels() -> int:
    """After a bulk import or a change of thresholds: every month again, oldest first."""
    return levels.levels_rebuild()
