"""The report as a PDF: the page's HTML (`reports/_body.html`) with a print stylesheet,
laid out by WeasyPrint (Debian's pango underneath). Charts are inline SVG, so nothing is
fetched while rendering: the base URL points nowhere."""

from django.template.loader import render_to_string

from trellis.reports.report import Report


def report_pdf(report: Report) -> bytes:
    from weasyprint import HTML  # imported when needed: it loads pango

    html = render_to_string("reports/pdf.html", {"report": report})
    pdf: bytes = HTML(string=html, base_url="about:blank").write_pdf()
    return pdf


def pdf_filename(report: Report) -> str:
    scope = report.community.slug if report.community is not None else "organisation"
    return f"impact-report-{scope}-{report.period.key}.pdf"
