"""The scheduler's job table: which periodic tasks run, and how often.

It names tasks of every domain app, so it lives on the top floor; the engine that enqueues a
job at most once per interval is `trellis.core.scheduling`.
"""

from datetime import timedelta

from trellis.core import tasks
from trellis.core.scheduling import Periodic
from trellis.digests.tasks import send_due_digests
from trellis.events.tasks import send_event_reminders
from trellis.expertise.tasks import escalate_routed_questions, rebuild_all_evidence
from trellis.insights.tasks import refresh_insights
from trellis.library.tasks import remind_resource_owners
from trellis.radar.tasks import refresh_discovery, refresh_radar
from trellis.reports.tasks import refresh_report_figures, send_report_emails
from trellis.search.tasks import embed_missing, refresh_vocabulary

SCHEDULE = [
    Periodic("prune-task-results", timedelta(hours=24), tasks.prune_task_results),
    Periodic("clean-stale-uploads", timedelta(hours=6), tasks.clean_stale_uploads),
    Periodic("send-due-digests", timedelta(hours=1), send_due_digests),
    Periodic("remind-resource-owners", timedelta(hours=24), remind_resource_owners),
    Periodic("refresh-search-vocabulary", timedelta(hours=24), refresh_vocabulary),
    Periodic("embed-missing-vectors", timedelta(hours=1), embed_missing),
    Periodic("rebuild-expertise-evidence", timedelta(hours=24), rebuild_all_evidence),
    Periodic("escalate-routed-questions", timedelta(minutes=10), escalate_routed_questions),
    # Reminders go out a day and an hour before; every ten minutes keeps them on time.
    Periodic("send-event-reminders", timedelta(minutes=10), send_event_reminders),
    # The impact report's stored figures (the periods still moving), then the sponsors' emails:
    # one per sponsor per period however often it runs.
    Periodic("refresh-report-figures", timedelta(hours=6), refresh_report_figures),
    # Participation levels: this month (and last month in its first days), from the day's log;
    # then the health, champions and silo figures the insights pages read.
    Periodic("refresh-insights", timedelta(hours=24), refresh_insights),
    # The pitfall radar reads the levels and the month's activity: after the insights.
    Periodic("refresh-radar", timedelta(hours=24), refresh_radar),
    # Domain discovery: proposed communities, spin-offs and merges from the year's questions.
    Periodic("refresh-discovery", timedelta(hours=24), refresh_discovery),
    Periodic("send-report-emails", timedelta(hours=6), send_report_emails),
]
