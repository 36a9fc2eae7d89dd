"""The report's scheduled jobs: refresh the stored figures, email sponsors. Both idempotent."""

from django.tasks import task

from trellis.reports.services import figures_refresh, report_emails_send


@task()
def refresh_report_figures() -> int:
    return figures_refresh()


@task()
def send_report_emails() -> int:
    return report_emails_send()
