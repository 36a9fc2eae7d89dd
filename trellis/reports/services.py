"""Writes of the report: stored figures (computed once per period, refreshed while the period
still moves), what the sponsor provides, when a sponsor opened a report, how often sponsors
want it, and the scheduled emails (one per sponsor per period, however often the job runs)."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.communities.models import Community, Sponsorship
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.people.models import Person
from trellis.reports.figures import Figures, figures_compute
from trellis.reports.models import (
    MAX_BUDGET,
    MAX_HOURS_PER_MONTH,
    Cadence,
    OpenedAs,
    PeriodFigures,
    ReportEmail,
    ReportOpen,
    ReportSubscription,
    SponsorResources,
)
from trellis.reports.periods import (
    Period,
    last_complete_month,
    last_complete_quarter,
    months_until,
)

logger = logging.getLogger(__name__)

# A period not over yet is recomputed when its figures are older than this.
LIVE_FIGURES_TTL = timedelta(minutes=15)
MAX_CHANNELS = 1000
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CAD", "AUD", "JPY", "INR")
CHART_MONTHS = 6


def _store(community: Community | None, period: Period, figures: Figures) -> None:
    now = timezone.now()
    key = {"community": community, "period": period.key}
    try:
        with transaction.atomic():
            updated = PeriodFigures.objects.filter(
                period=period.key,
                **({"community__isnull": True} if community is None else {"community": community}),
            ).update(figures=figures, computed_at=now)
            if not updated:
                PeriodFigures.objects.create(**key, figures=figures, computed_at=now)
    except IntegrityError:  # another request stored the same period meanwhile: theirs is as good
        pass


def _is_current(row: PeriodFigures, period: Period, now: datetime) -> bool:
    """Figures computed after their period ended are what the page shows (late answers are
    caught by `figures_refresh`, which recomputes a period for a while after it ends); those
    of a period still running are recomputed once they are older than LIVE_FIGURES_TTL."""
    if period.end <= row.computed_at:
        return True
    return period.end > now and row.computed_at > now - LIVE_FIGURES_TTL


def figures_many(*, community: Community | None, periods: list[Period]) -> dict[str, Figures]:
    """Several periods' figures in one read, computing the missing or stale ones."""
    rows = PeriodFigures.objects.filter(period__in=[p.key for p in periods])
    rows = (
        rows.filter(community__isnull=True)
        if community is None
        else rows.filter(community=community)
    )
    stored = {row.period: row for row in rows}
    now = timezone.now()
    out: dict[str, Figures] = {}
    for period in periods:
        row = stored.get(period.key)
        if row is not None and _is_current(row, period, now):
            out[period.key] = cast(Figures, row.figures)
        else:
            out[period.key] = figures_compute(community=community, period=period)
            _store(community, period, out[period.key])
    return out


def figures_refresh(*, community: Community | None = None, now: datetime | None = None) -> int:
    """Recompute the periods still moving, for one community or for every one and the
    organisation: the current and last month and quarter (and the ones they are compared
    with), and the months their charts show.
    Run by the scheduler and after bulk loads; idempotent. Returns the rows written."""
    now = now or timezone.now()
    month = last_complete_month(now)
    quarter = last_complete_quarter(now)
    periods = {
        month.next(),
        month,
        month.previous(),
        quarter.next(),
        quarter,
        quarter.previous(),
        *months_until(month, CHART_MONTHS),
        *months_until(quarter, CHART_MONTHS),
    }
    scopes: list[Community | None] = (
        [community] if community is not None else [None, *Community.objects.all()]
    )
    written = 0
    for scope in scopes:
        for period in sorted(periods):
            _store(scope, period, figures_compute(community=scope, period=period))
            written += 1
    return written


# --- what the sponsor provides --------------------------------------------------------------


@dataclass(frozen=True)
class ResourceFields:
    annual_budget: str  # as typed: "" for none
    currency: str
    hours_per_month: str
    channels: str


def _decimal(
    text: str, *, field: str, label: str, upper: Decimal, errors: dict[str, str]
) -> Decimal | None:
    text = text.strip().replace(",", "").replace("_", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[field] = f"{label} must be a number, such as 12000."
        return None
    if not value.is_finite():
        errors[field] = f"{label} must be a number, such as 12000."
    elif value < 0:
        errors[field] = f"{label} cannot be negative."
    elif value > upper:
        errors[field] = f"{label} cannot be more than {upper:,}."
    return value


def sponsor_resources_set(
    *, actor: Person, community: Community, fields: ResourceFields
) -> SponsorResources:
    """Record what the sponsor provides; bad figures are refused and nothing is written."""
    if not access.can_edit_sponsor_resources(actor, community):
        raise Forbidden(
            "Only the community's sponsors and leaders record what the sponsor provides."
        )
    errors: dict[str, str] = {}
    budget = _decimal(
        fields.annual_budget,
        field="annual_budget",
        label="The yearly budget",
        upper=MAX_BUDGET,
        errors=errors,
    )
    hours = _decimal(
        fields.hours_per_month,
        field="hours_per_month",
        label="Hours a month",
        upper=Decimal(MAX_HOURS_PER_MONTH),
        errors=errors,
    )
    currency = fields.currency.strip().upper() or "EUR"
    if currency not in CURRENCIES:
        errors["currency"] = f"Choose a currency from: {', '.join(CURRENCIES)}."
    channels = fields.channels.strip()
    if len(channels) > MAX_CHANNELS:
        errors["channels"] = f"Channels: at most {MAX_CHANNELS} characters ({len(channels)} given)."
    if "\x00" in channels:
        errors["channels"] = "Channels cannot contain a NUL character."
    if errors:
        first = next(iter(errors.values()))
        raise Invalid(f"Nothing was saved: {first}", field_errors=errors)
    with transaction.atomic():
        row, _ = SponsorResources.objects.update_or_create(
            community=community,
            defaults={
                "annual_budget": budget.quantize(Decimal("0.01")) if budget is not None else None,
                "currency": currency,
                "hours_per_month": hours.quantize(Decimal("0.1")) if hours is not None else None,
                "channels": channels,
                "updated_by": actor,
                "updated_at": timezone.now(),
            },
        )
        activity_record(
            actor=actor, verb="sponsor_resources.update", obj=row, community_id=community.pk
        )
    return row


# --- opens and the email schedule -----------------------------------------------------------


def report_open_record(
    *, actor: Person, community: Community, period: Period, opened_as: str
) -> ReportOpen | None:
    """A sponsor opened their community's report (page or PDF); others' opens are not kept."""
    if opened_as not in OpenedAs.values or not access.is_sponsor(actor, community):
        return None
    return ReportOpen.objects.create(
        person=actor, community=community, period=period.key, opened_as=opened_as
    )


def report_subscription_set(*, actor: Person, cadence: str) -> ReportSubscription:
    if not access.can_subscribe_to_reports(actor):
        raise Forbidden("Reports are emailed to sponsors; you sponsor no community.")
    if cadence not in Cadence.values:
        raise Invalid(
            "Choose how often: monthly, quarterly or off.",
            field_errors={"cadence": "Choose monthly, quarterly or off."},
        )
    row, _ = ReportSubscription.objects.update_or_create(
        person=actor, defaults={"cadence": cadence, "updated_at": timezone.now()}
    )
    return row


def cadence_of(person: Person) -> str:
    row = ReportSubscription.objects.filter(person=person).first()
    return row.cadence if row is not None else Cadence.MONTHLY


def due_period(cadence: str, now: datetime) -> Period | None:
    if cadence == Cadence.MONTHLY:
        return last_complete_month(now)
    if cadence == Cadence.QUARTERLY:
        return last_complete_quarter(now)
    return None


def report_email_send(*, person: Person, period: Period) -> bool:
    """Email one sponsor the reports of their communities for the period, once: the row is
    claimed in the same transaction that sends, so a failed send is retried by the next run
    and a second run sends nothing."""
    from trellis.reports.mail import report_email_message

    if (
        not person.is_active
        or ReportEmail.objects.filter(person=person, period=period.key).exists()
    ):
        return False
    communities = list(access.sponsored_communities(person).order_by("name"))
    if not communities:
        return False
    # Built (the PDFs laid out) before the transaction: it holds SQLite's write lock.
    message = report_email_message(person=person, communities=communities, period=period)
    try:
        with transaction.atomic():
            ReportEmail.objects.create(
                person=person, period=period.key, communities=len(communities)
            )
            message.send()
    except IntegrityError:
        return False  # already sent for this period
    return True


def report_emails_send(*, now: datetime | None = None) -> int:
    """The scheduled job: every sponsor whose cadence has a period due and not yet emailed."""
    now = now or timezone.now()
    sent = 0
    sponsor_ids = Sponsorship.objects.values("person_id").distinct()
    cadences = dict(ReportSubscription.objects.values_list("person_id", "cadence"))
    due = {due_period(cadence, now) for cadence in Cadence.values} - {None}
    emailed = set(  # one read for the whole run: most runs find every sponsor already emailed
        ReportEmail.objects.filter(period__in=[p.key for p in due if p]).values_list(
            "person_id", "period"
        )
    )
    for person in Person.objects.filter(pk__in=sponsor_ids, is_active=True).order_by("pk"):
        period = due_period(cadences.get(person.pk, Cadence.MONTHLY), now)
        if period is None or (person.pk, period.key) in emailed:
            continue
        try:
            sent += report_email_send(person=person, period=period)
        except Exception:  # one sponsor's failure (a bad address) must not stop the others
            logger.exception("report email to %s for %s failed", person.pk, period.key)
    return sent
