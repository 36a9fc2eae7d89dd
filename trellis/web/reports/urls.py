from django.urls import URLPattern, path

from trellis.web.reports import views

urlpatterns: list[URLPattern] = [
    path("c/<slug:slug>/report/", views.community_report, name="community-report"),
    path("c/<slug:slug>/report.pdf", views.community_report_pdf, name="community-report-pdf"),
    path("c/<slug:slug>/report/resources/", views.report_resources, name="report-resources"),
    path("report/", views.org_report, name="org-report"),
    path("report.pdf", views.org_report_pdf, name="org-report-pdf"),
    path("me/report-email/", views.report_schedule, name="report-schedule"),
]
