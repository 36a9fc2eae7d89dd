"""Local times in a named time zone, as an organiser writes them: pure, no database."""

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Years an event may fall in: beyond them a date is a typo, and the calendar's VTIMEZONE
# (from the zoneinfo rules) covers only these.
FIRST_YEAR = 2000
LAST_YEAR = 2099


@lru_cache(maxsize=1)
def zone_names() -> list[str]:
    """The IANA names offered in the form's list, sorted."""
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    """Read once: `available_timezones()` walks the zone files (4-7 ms a call)."""
    return frozenset(available_timezones())


def zone_or_none(name: str) -> ZoneInfo | None:
    """The zone with this IANA name, or None for a name zoneinfo does not know (or that is
    a path, which ZoneInfo would try to read as a file)."""
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        return None
    if name not in _known_zones():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class LocalTimeError(ValueError):
    """A wall-clock time that does not exist in the zone (skipped when the clocks go
    forward), or a year out of range."""


def aware(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` as an aware datetime: a naive one is read as wall-clock time in `zone` (and
    refused when the clocks skip it); an aware one is kept as the instant it names."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise LocalTimeError(f"Pick a date between {FIRST_YEAR} and {LAST_YEAR}.")
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    local = moment.replace(tzinfo=zone)
    round_trip = local.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != moment:
        raise LocalTimeError(
            f"{moment:%H:%M} does not exist on {moment:%-d %B %Y} in {zone.key}: "
            "the clocks go forward then. Pick another time."
        )
    return local.astimezone(UTC)
