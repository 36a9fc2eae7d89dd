"""Background work of the radar: the daily signals and domain discovery's proposals."""

from django.tasks import task

from trellis.radar.discovery_services import discovery_refresh
from trellis.radar.services import radar_refresh


@task()
def refresh_radar() -> int:
    """Daily, after the insights (it reads their levels): every community's signals for the
    last whole month."""
    return radar_refresh()


@task()
def refresh_discovery() -> int:
    """Daily, and when new vectors are written: the open proposals read anew."""
    return discovery_refresh()
