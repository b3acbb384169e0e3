"""The council report: context -> HTML -> PDF, the safe URL fetcher, the chart. Pure: no Flask, no database.

    from riskdesk.engine.report import render_report
    pdf = render_report(document, result, status="DRAFT")
"""
from .render import build_context, render_html, render_pdf, render_report

__all__ = ["build_context", "render_html", "render_pdf", "render_report"]
