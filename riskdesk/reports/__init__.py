"""The council report: render (context -> HTML -> PDF), safe URL fetching, storage, chart.

Usable without Flask or a database::

    from riskdesk.reports import render_report, store_issued, read_issued
    pdf = render_report(document, result, status="ISSUED", issued_at="2026-11-26")
    filename, sha256 = store_issued(pdf, Path("reports"), document["title"])
"""
from .render import build_context, render_html, render_pdf, render_report
from .storage import IntegrityError, read_issued, store_issued

__all__ = ["build_context", "render_html", "render_pdf", "render_report", "store_issued",
           "read_issued", "IntegrityError"]
