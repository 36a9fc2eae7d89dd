"""Recurring events: RFC 5545 rules (through `dateutil.rrule`) expanded in the event's local
time, so a circle at 10:00 in London stays at 10:00 across the clock changes. Pure: no
database.

A rule must end (COUNT or UNTIL), give at least one and at most `MAX_OCCURRENCES`
occurrences, all within `MAX_SPAN` of the first, and none at a time the clocks skip; anything
else is a `RuleError` whose message says what to change.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr  # type: ignore[import-untyped]  # no stubs kept

from trellis.events.times import LocalTimeError, aware

MAX_OCCURRENCES = 100
MAX_SPAN = timedelta(days=2 * 366)  # two years from the first occurrence
MAX_RULE_LENGTH = 300

# What a leader picks in the form; "custom" takes an RRULE (the API).
EVERY_WEEK, EVERY_TWO_WEEKS, EVERY_MONTH, CUSTOM = "week", "two_weeks", "month", "custom"
REPEATS = (EVERY_WEEK, EVERY_TWO_WEEKS, EVERY_MONTH, CUSTOM)

ALLOWED_PARTS = frozenset(
    {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
)
ALLOWED_FREQS = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
RULE_TEXT = re.compile(r"^[A-Z0-9=;,+\-]+$")
UNTIL_TEXT = re.compile(r"^(\d{8})(T(\d{6})(Z?))?$")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


class RuleError(ValueError):
    """A rule that cannot make a series, with the field it concerns (`rrule`, `count`,
    `until`, `starts_at`)."""

    def __init__(self, message: str, field: str = "rrule") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Occurrence:
    """One start the rule gives, as an instant, and its end."""

    starts_at: datetime
    ends_at: datetime


def rule_for(
    every: str, first_local: datetime, *, count: int | None, until: date | None, custom: str = ""
) -> str:
    """The RRULE for a leader's choice: every week on the first day's weekday, every two
    weeks, every month on the same Nth weekday (the last one when the first is a 5th), or
    the custom rule as written, ended by the count or the last day given."""
    if count is not None and until is not None:
        raise RuleError("Say how many times or until when, not both.", "count")
    weekday = DAY_CODES[first_local.weekday()]
    if every == EVERY_WEEK:
        parts = [f"FREQ=WEEKLY;BYDAY={weekday}"]
    elif every == EVERY_TWO_WEEKS:
        parts = [f"FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday}"]
    elif every == EVERY_MONTH:
        nth = (first_local.day - 1) // 7 + 1
        parts = [f"FREQ=MONTHLY;BYDAY={-1 if nth == 5 else nth}{weekday}"]
    elif every == CUSTOM:
        text = custom.strip().upper().removeprefix("RRULE:")
        if not text:
            raise RuleError("Write the rule, e.g. FREQ=WEEKLY;BYDAY=TH;COUNT=12.")
        parts = [text]
    else:
        raise RuleError("Choose how often it repeats.", "repeat")
    if count is not None:
        parts.append(f"COUNT={count}")
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    return ";".join(parts)


def _parts(text: str) -> dict[str, str]:
    if len(text) > MAX_RULE_LENGTH or not RULE_TEXT.match(text):
        raise RuleError(
            "That is not a repeat rule we can read: write it as RFC 5545 parts such as "
            "FREQ=WEEKLY;BYDAY=TH;COUNT=12."
        )
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        name, _, value = piece.partition("=")
        if not value:
            raise RuleError(f"“{piece[:40]}” in the rule has no value.")
        if name not in ALLOWED_PARTS:
            raise RuleError(
                f"{name[:20]} is not allowed in an event's rule; use FREQ, INTERVAL, BYDAY, "
                "BYMONTHDAY, BYMONTH, BYSETPOS, with COUNT or UNTIL."
            )
        if name in parts:
            raise RuleError(f"{name} appears twice in the rule.")
        parts[name] = value
    if parts.get("FREQ") not in ALLOWED_FREQS:
        raise RuleError("Events repeat daily, weekly, monthly or yearly (FREQ=WEEKLY, …).")
    return parts


def _until_local(value: str, zone: ZoneInfo) -> datetime:
    """UNTIL as a local wall-clock time (a UTC one, ending in Z, is moved into the zone)."""
    found = UNTIL_TEXT.match(value)
    if not found:
        raise RuleError("UNTIL must be a date like 20270131 or 20270131T235959Z.", "until")
    try:
        day = datetime.strptime(found.group(1), "%Y%m%d")
        if found.group(3):
            day = datetime.strptime(found.group(1) + found.group(3), "%Y%m%d%H%M%S")
        else:
            day = day.replace(hour=23, minute=59, second=59)
    except ValueError as error:
        raise RuleError("UNTIL is not a real date.", "until") from error
    if found.group(4):
        return day.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    return day


def expand(
    text: str, *, first_local: datetime, duration: timedelta, zone: ZoneInfo
) -> list[Occurrence]:
    """Every occurrence of the rule from the first (a naive wall-clock time in `zone`), or
    RuleError saying why the rule cannot be a series."""
    parts = _parts(text)
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise RuleError(
            "This rule never ends: say how many times (COUNT) or until when (UNTIL).", "count"
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("Give the rule a COUNT or an UNTIL, not both.", "count")
    horizon = first_local + MAX_SPAN
    count = None
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or not 1 <= int(parts["COUNT"]) <= 10**6:
            raise RuleError("COUNT must be a whole number of times, at least 1.", "count")
        count = int(parts["COUNT"])
        if count > MAX_OCCURRENCES:
            raise RuleError(
                f"A series has at most {MAX_OCCURRENCES} occurrences; this one has {count:,}.",
                "count",
            )
        end = horizon
    else:
        end = _until_local(parts["UNTIL"], zone)
        if end > horizon:
            raise RuleError(
                "A series may run for at most two years: pick an end date before "
                f"{horizon:%-d %B %Y}.",
                "until",
            )
        if end < first_local:
            raise RuleError("The series ends before its first date.", "until")
    bounded = {k: v for k, v in parts.items() if k not in ("COUNT", "UNTIL")}
    bounded["UNTIL"] = f"{end:%Y%m%dT%H%M%S}"
    try:
        rule = rrulestr(
            ";".join(f"{k}={v}" for k, v in bounded.items()), dtstart=first_local, cache=False
        )
    except (ValueError, TypeError, IndexError) as error:
        raise RuleError(f"That repeat rule does not parse: {str(error)[:80]}.") from error
    assert isinstance(rule, rrule)
    limit = count if count is not None else MAX_OCCURRENCES + 1
    starts = list(islice(iter(rule), limit))
    if not starts:
        raise RuleError("That rule gives no dates at all: check its days and months.")
    if count is not None and len(starts) < count:
        raise RuleError(
            f"{count} occurrences of this rule run past two years; a series may run for at "
            "most two years.",
            "count",
        )
    if len(starts) > MAX_OCCURRENCES:
        raise RuleError(
            f"A series has at most {MAX_OCCURRENCES} occurrences; this one has more: "
            "end it sooner.",
            "until",
        )
    occurrences = []
    for local in starts:
        try:
            occurrences.append(Occurrence(aware(local, zone), aware(local + duration, zone)))
        except LocalTimeError as error:
            raise RuleError(str(error), "starts_at") from error
    return occurrences


def describe(text: str, first_local: datetime) -> str:
    """The rule as a leader says it: "every Thursday at 10:00", "every two weeks on
    Thursday", "on the second Thursday of each month"; others read "on a custom rhythm"."""
    try:
        parts = _parts(text)
    except RuleError:
        return "on a custom rhythm"
    extra = set(parts) - {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL", "WKST"}
    at = f"at {first_local:%H:%M}"
    interval = parts.get("INTERVAL", "1")
    days = parts.get("BYDAY", DAY_CODES[first_local.weekday()]).split(",")
    if extra or interval not in ("1", "2"):
        return f"on a custom rhythm, {at}"
    if parts["FREQ"] == "WEEKLY" and all(d in DAY_CODES for d in days):
        names = " and ".join(DAY_NAMES[DAY_CODES.index(d)] for d in days)
        if interval == "2":
            return f"every two weeks on {names} {at}"
        return f"every {names} {at}"
    if parts["FREQ"] == "MONTHLY" and interval == "1" and len(days) == 1:
        found = re.match(r"^([+-]?\d)([A-Z]{2})$", days[0])
        if found and int(found.group(1)) in ORDINALS and found.group(2) in DAY_CODES:
            day = DAY_NAMES[DAY_CODES.index(found.group(2))]
            return f"on the {ORDINALS[int(found.group(1))]} {day} of each month {at}"
    if parts["FREQ"] == "DAILY" and interval == "1" and "BYDAY" not in parts:
        return f"every day {at}"
    return f"on a custom rhythm, {at}"
