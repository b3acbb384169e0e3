"""Council reports: issue the fixed copy, list them, download an issued PDF with its sha256."""
from __future__ import annotations

import base64
from pathlib import Path

from flask import Response, current_app, request, url_for
from sqlalchemy import select

from riskdesk import db
from riskdesk.api import schemas
from riskdesk.api.base import ApiProblem, actor, bp, get_or_problem, responses, spec
from riskdesk.council import reports
from riskdesk.council.storage import IntegrityError, read_issued
from riskdesk.council.worker import RenderUnavailable
from riskdesk.models import Proposal, Report
from riskdesk.users.access import roles
from riskdesk.vocabulary import EDITORS, ROLES

TAG = "reports"


def report_body(row: Report) -> schemas.Report:
    return schemas.Report(id=row.id, proposal_id=row.proposal_id, assessment_id=row.assessment_id,
                          filename=row.filename, sha256=row.sha256, issued_at=row.issued_at,
                          download=url_for("api.download_report", report_id=row.id))


@bp.get("/proposals/<int:proposal_id>/reports")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.ReportList}, 404), tags=[TAG])
def list_reports(proposal_id: int):
    """The proposal's issued reports, oldest first."""
    proposal = get_or_problem(Proposal, proposal_id, "proposal")
    rows = db.session().scalars(select(Report).where(Report.proposal_id == proposal.id).order_by(Report.id))
    return schemas.ReportList(reports=[report_body(r) for r in rows])


@bp.post("/proposals/<int:proposal_id>/reports")
@roles(*EDITORS)
@spec.validate(resp=responses({"HTTP_200": schemas.Report, "HTTP_201": schemas.Report}, 404, 409, 415, 503), tags=[TAG])
def issue_report(proposal_id: int):
    """Issue the council report of the latest assessment: rendered once, stored with its sha256, never changed.

    Idempotent: when the latest assessment already has an issued report, that report is returned (200)
    and nothing is issued; send ``?replaces=<its id>`` to issue a new copy on purpose (201).
    """
    session = db.session()
    proposal = get_or_problem(Proposal, proposal_id, "proposal")
    replaces = request.args.get("replaces", "")
    try:
        row, issued = reports.issue_report(session, proposal, actor=actor(),
                                           reports_dir=Path(current_app.config["REPORTS_DIR"]),
                                           timeout=current_app.config["REPORT_RENDER_TIMEOUT"],
                                           replaces=int(replaces) if replaces.isdigit() else None)
    except reports.NotAssessed as exc:
        session.rollback()
        raise ApiProblem(409, str(exc)) from None
    except RenderUnavailable as exc:
        session.rollback()
        raise ApiProblem(503, f"The report could not be produced: {exc}. Try again; if it keeps happening, "
                              "tell an administrator.") from None
    except reports.StorageFailed as exc:
        session.rollback()
        raise ApiProblem(503, f"The report was not issued: {exc}. Tell an administrator.") from None
    session.commit()
    return report_body(row), 201 if issued else 200, {"Location": url_for("api.get_report", report_id=row.id)}


@bp.get("/reports/<int:report_id>")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.Report}, 404), tags=[TAG])
def get_report(report_id: int):
    """An issued report's record: its file name, sha256 and when it was issued."""
    return report_body(get_or_problem(Report, report_id, "report"))


@bp.get("/reports/<int:report_id>/pdf")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": None}, 404, 500), tags=[TAG])
def download_report(report_id: int):
    """The issued PDF, byte for byte; its sha256 is in the ETag and the Repr-Digest header (RFC 9530)."""
    row = get_or_problem(Report, report_id, "report")
    try:
        pdf = read_issued(Path(current_app.config["REPORTS_DIR"]), row.filename, row.sha256)
    except IntegrityError as exc:
        raise ApiProblem(500, f"The stored report failed its integrity check: {exc}.") from None
    digest = base64.b64encode(bytes.fromhex(row.sha256)).decode("ascii")
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{row.filename}"', "ETag": f'"{row.sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:"})
