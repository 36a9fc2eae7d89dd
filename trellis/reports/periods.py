"""Report periods: a calendar month ("2026-11") or quarter ("2026-Q3"), in the site's time
zone, with the one before it. Pure computation: nothing read or written."""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
FIRST_YEAR = 2000


class BadPeriod(ValueError):
    """A period that is not "YYYY-MM" or "YYYY-Qn", or lies outside the years we report on."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int  # the first month of the period
    months: int  # 1 or 3

    @property
    def is_quarter(self) -> bool:
        return self.months == 3

    @property
    def key(self) -> str:
        if self.is_quarter:
            return f"{self.year}-Q{(self.month - 1) // 3 + 1}"
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        if self.is_quarter:
            first, last = MONTH_NAMES[self.month - 1][:3], MONTH_NAMES[self.month + 1][:3]
            return f"Q{(self.month - 1) // 3 + 1} {self.year} ({first} to {last})"
        return f"{MONTH_NAMES[self.month - 1]} {self.year}"

    @property
    def short_label(self) -> str:
        if self.is_quarter:
            return f"Q{(self.month - 1) // 3 + 1} {self.year}"
        return f"{MONTH_NAMES[self.month - 1][:3]} {self.year}"

    @property
    def start(self) -> datetime:
        return _midnight(self.year, self.month)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        year, month = _add_months(self.year, self.month, self.months)
        return _midnight(year, month)

    def previous(self) -> "Period":
        year, month = _add_months(self.year, self.month, -self.months)
        return Period(year, month, self.months)

    def next(self) -> "Period":
        year, month = _add_months(self.year, self.month, self.months)
        return Period(year, month, self.months)

    def months_in(self) -> list["Period"]:
        out = []
        year, month = self.year, self.month
        for _ in range(self.months):
            out.append(Period(year, month, 1))
            year, month = _add_months(year, month, 1)
        return out


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _midnight(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))


def parse_period(text: str, *, now: datetime | None = None) -> Period:
    """ "2026-11" or "2026-Q3"; not one in the future (it has no figures yet)."""
    text = text.strip()
    if found := MONTH.match(text):
        period = Period(int(found[1]), int(found[2]), 1)
    elif found := QUARTER.match(text):
        period = Period(int(found[1]), (int(found[2]) - 1) * 3 + 1, 3)
    else:
        raise BadPeriod(
            f"“{text[:20]}” is not a period: use a month such as 2026-11 "
            "or a quarter such as 2026-Q3."
        )
    if period.year < FIRST_YEAR:
        raise BadPeriod(f"Reports start in {FIRST_YEAR}.")
    if period.start > (now or timezone.now()):
        raise BadPeriod(f"{period.label} has not started yet: there is nothing to report.")
    return period


def last_complete_month(now: datetime | None = None) -> Period:
    local = timezone.localtime(now or timezone.now(), ZoneInfo(settings.TIME_ZONE))
    return Period(local.year, local.month, 1).previous()


def last_complete_quarter(now: datetime | None = None) -> Period:
    local = timezone.localtime(now or timezone.now(), ZoneInfo(settings.TIME_ZONE))
    return Period(local.year, (local.month - 1) // 3 * 3 + 1, 3).previous()


def months_until(period: Period, count: int) -> list[Period]:
    """The `count` months ending with the period's last month, oldest first (the chart's axis)."""
    last = period.months_in()[-1]
    out = [last]
    for _ in range(count - 1):
        out.append(out[-1].previous())
    return out[::-1]


def choices(now: datetime | None = None, *, count: int = 12) -> list[Period]:
    """The periods the page offers: the last complete months and quarters, newest first."""
    months = [last_complete_month(now)]
    for _ in range(count - 1):
        months.append(months[-1].previous())
    quarters = [last_complete_quarter(now)]
    for _ in range(3):
        quarters.append(quarters[-1].previous())
    return months + quarters
