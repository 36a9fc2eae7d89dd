"""The scheduled report email: a short summary of each sponsored community, the PDFs attached."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from trellis.communities.models import Community
from trellis.people.models import Person
from trellis.reports.pdf import pdf_filename, report_pdf
from trellis.reports.periods import Period
from trellis.reports.report import build_report


def report_email_message(
    *, person: Person, communities: list[Community], period: Period
) -> EmailMessage:
    reports = [build_report(viewer=person, community=c, period=period) for c in communities]
    context = {
        "person": person,
        "period": period,
        "previous": period.previous(),
        "reports": reports,
        "site_url": settings.SITE_URL,
    }
    names = ", ".join(c.name for c in communities)
    message = EmailMessage(
        subject=f"Impact report, {period.label}: {names}"[:200],
        body=render_to_string("reports/email.txt", context),
        to=[person.email],
    )
    for report in reports:
        message.attach(pdf_filename(report), report_pdf(report), "application/pdf")
    return message
