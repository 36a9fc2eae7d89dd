"""The figures the insights pages read, refreshed together and in order."""

from datetime import datetime

from trellis.insights.services import champions, health, silos


def snapshots_refresh(*, now: datetime | None = None, recompute: bool = False) -> int:
    """Health, champions (with the leaders' named lists, which read the levels: refresh
    those first) and the silo map; returns the snapshots written. `recompute`: every stored
    health month again too (after an import), not only those still moving."""
    return (
        health.health_refresh(now=now, recompute=recompute)
        + champions.champions_refresh(now=now)
        + silos.silos_refresh(now=now)
    )
