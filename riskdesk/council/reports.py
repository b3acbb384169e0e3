"""The council report of a stored proposal: its inputs, draft renders, and issuing the fixed copy."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from riskdesk import db
from riskdesk.audit import trail
from riskdesk.checklists import releases
from riskdesk.council.storage import store_issued
from riskdesk.council.worker import render_pdf_isolated
from riskdesk.engine.report.docx_writer import render_docx_context
from riskdesk.engine.report.render import build_context, render_html
from riskdesk.engine.scoring import scoring_summary
from riskdesk.models import AuditEvent, Proposal, Report, User
from riskdesk.proposals import assessments, workflow
from riskdesk.screening import services as screening


class NotAssessed(Exception):
    """A report needs an assessment."""


def _screening_rows(session: Session, assessment_id: int) -> list[dict]:
    rows = []
    for hit, decision in screening.hits_with_decisions(session, assessment_id):
        rows.append({
            "query": hit.query, "role": hit.role, "list_source": hit.list_source, "matched_name": hit.matched_name,
            "entry_uid": hit.entry_uid, "score": hit.score, "why": hit.why,
            "adjudication": None if decision is None else {
                "verdict": decision.verdict, "note": decision.note, "by": decision.by_name,
                "at": decision.at.strftime("%Y-%m-%d")},
        })
    return rows


def _screening_record(scope: dict | None, hits: list[dict]) -> dict | None:
    """What screening did for the assessment (recorded with it), with its possible matches and decisions.

    An assessment made before the scope was recorded but with stored hits was screened against the
    lists those hits name; one with neither was not screened.
    """
    if scope:
        return {**scope, "hits": hits}
    if hits:
        return {"lists": [{"source": s} for s in dict.fromkeys(h["list_source"] for h in hits)],
                "parties": [], "hits": hits}
    return None


def report_inputs(session: Session, proposal: Proposal, status: str) -> dict:
    """Everything the renderer needs for the latest assessment (raises NotAssessed without one)."""
    latest = assessments.latest(proposal)
    if latest is None:
        raise NotAssessed("Assess the proposal before producing a report.")
    hits = _screening_rows(session, latest.id)
    scope = latest.result.get("screening")
    release_row = latest.release
    compiled = releases.compiled(release_row)
    decided = workflow.last_decision(session, proposal.id)
    return {
        "document": latest.facts, "result": latest.result, "status": status,
        "release": {"hash": release_row.hash, "created_at": release_row.created_at.strftime("%Y-%m-%d"),
                    "note": release_row.note, "scoring": compiled.scoring.description},
        "screening": _screening_record(scope, hits),
        "residual": workflow.residual_for(session, proposal),
        "conditions": proposal.conditions or None,
        "scoring": scoring_summary(compiled.scoring),
        "decision": None if decided is None else {
            "outcome": decided.to_status, "date": decided.at.strftime("%Y-%m-%d"),
            "by": decided.by.username if decided.by else "", "note": decided.reason},
    }


def report_html(inputs: dict) -> str:
    inputs = dict(inputs)
    return render_html(build_context(inputs.pop("document"), inputs.pop("result"), **inputs))


def report_docx(inputs: dict) -> bytes:
    """The same report as a Word document (rendered in-process: python-docx runs no untrusted layout)."""
    inputs = dict(inputs)
    return render_docx_context(build_context(inputs.pop("document"), inputs.pop("result"), **inputs))


def report_number(session: Session, proposal: Proposal) -> str:
    """The next issued report's number: the proposal's id and the count of its issued reports."""
    issued = session.scalar(select(func.count()).select_from(Report).where(Report.proposal_id == proposal.id))
    return f"RD-{proposal.id}-{issued + 1}"


def render_pdf(inputs: dict, *, timeout: float) -> bytes:
    """Build the HTML here, render the PDF in the worker process within ``timeout`` (RenderUnavailable)."""
    return render_pdf_isolated(report_html(inputs), timeout=timeout)


class StorageFailed(Exception):
    """The rendered report could not be written to the reports folder (full, read-only, missing)."""


def latest_issued(session: Session, proposal: Proposal) -> Report | None:
    """The last report issued from the proposal's latest assessment, if any."""
    latest = assessments.latest(proposal)
    return _latest_issued(session, latest.id) if latest else None


def _latest_issued(session: Session, assessment_id: int) -> Report | None:
    return session.scalars(select(Report).where(Report.assessment_id == assessment_id)
                           .order_by(Report.id.desc())).first()


def issue_report(session: Session, proposal: Proposal, *, actor: User, reports_dir: Path,
                 timeout: float, replaces: int | None = None) -> tuple[Report, bool]:
    """Render the ISSUED report as PDF and DOCX, store each once on disk with its sha256, record it and its
    audit entry. Both copies carry the same report number and release hash. The PDF's name and hash are
    columns of the report; the DOCX's are kept in the append-only audit entry of the issue
    (see :func:`issued_docx`).

    Idempotent per click: a report is issued only while the latest report of the latest assessment
    is still ``replaces`` (None: no report yet); otherwise that report is returned and nothing is
    issued. Double clicks and simultaneous requests (serialised per proposal) therefore give one
    report; issuing again is explicit (the page sends the report it replaces). Returns
    ``(report, issued_now)``; raises StorageFailed when a file cannot be written.
    """
    issued_at = dt.datetime.now(dt.timezone.utc)
    inputs = report_inputs(session, proposal, "ISSUED")
    assessment_id = assessments.latest(proposal).id
    current = _latest_issued(session, assessment_id)
    if current is not None and current.id != replaces:
        return current, False
    number = report_number(session, proposal)
    inputs = {**inputs, "issued_at": issued_at.strftime("%Y-%m-%d %H:%M UTC"), "report_number": number}
    pdf = render_pdf(inputs, timeout=timeout)
    docx = report_docx(inputs)
    db.serialise(session, "report_issue", proposal.id)  # after rendering: the lock is held only briefly
    current = _latest_issued(session, assessment_id)
    if current is not None and current.id != replaces:
        return current, False  # another request issued it while this one rendered
    try:
        filename, sha256 = store_issued(pdf, reports_dir, f"proposal-{proposal.id}")
        docx_filename, docx_sha256 = store_issued(docx, reports_dir, f"proposal-{proposal.id}", suffix=".docx")
    except OSError as exc:
        raise StorageFailed(f"the reports folder could not store the file ({exc.strerror or exc})") from exc
    report = Report(proposal_id=proposal.id, assessment_id=assessment_id, filename=filename,
                    sha256=sha256, issued_at=issued_at, issued_by_id=actor.id)
    session.add(report)
    session.flush()
    trail.record(session, "report.issue", actor=actor, object_type="report", object_id=report.id,
                 summary=f"Issued report {number} for proposal {proposal.id}",
                 after={"sha256": sha256, "file": filename, "number": number,
                        "docx_sha256": docx_sha256, "docx_file": docx_filename})
    return report, True


def issued_docx(session: Session, report: Report) -> tuple[str, str] | None:
    """(file name, sha256) of an issued report's DOCX, from its issue entry; None if it has none."""
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "report.issue", AuditEvent.object_type == "report",
        AuditEvent.object_id == str(report.id)).order_by(AuditEvent.id)).first()
    after = (event.after or {}) if event else {}
    if not after.get("docx_file") or not after.get("docx_sha256"):
        return None
    return after["docx_file"], after["docx_sha256"]
