"""Background work of the insights app: the levels and the stored figures kept up to date."""

from django.db import transaction
from django.tasks import task

from trellis.insights.services import levels
from trellis.insights.services.snapshots import snapshots_refresh


@task()
def refresh_insights() -> int:
    """Daily: the current month's levels (and the previous month's in its first days), then
    health, champions and the silo map."""
    return levels.levels_refresh() + snapshots_refresh()


@task()
def rebuild_insights() -> int:
    """After a bulk import or a change of thresholds: every month's levels again, oldest
    first, then the stored figures."""
    return levels.levels_rebuild() + snapshots_refresh(recompute=True)


def insights_rebuild_after_commit() -> None:
    """For bulk writers (imports): imported history lands in past months, so every month is
    computed again once the load is in."""
    transaction.on_commit(lambda: rebuild_insights.enqueue())
