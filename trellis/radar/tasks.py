"""Background work of the radar: the daily signals."""

from django.tasks import task

from trellis.radar.services import radar_refresh


@task()
def refresh_radar() -> int:
    """Daily, after the insights (it reads their levels): every community's signals for the
    last whole month."""
    return radar_refresh()
