"""Council pages (awaiting decision, decisions, portfolio), workflow actions, mitigations and reports."""
from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from riskdesk import db
from riskdesk.council import portfolio, reports
from riskdesk.council.storage import IntegrityError, read_issued
from riskdesk.council.worker import RenderUnavailable
from riskdesk.engine.report.render import STYLESHEET
from riskdesk.models import Report
from riskdesk.proposals import workflow
from riskdesk.proposals.detail import render_detail
from riskdesk.users.access import roles
from riskdesk.vocabulary import EDITORS, ROLES, STATUS_LABELS
from riskdesk.web import current_db_user, get_or_404, get_proposal

bp = Blueprint("council", __name__)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route("/council")
@roles(*ROLES)
def index():
    return render_template("council/index.html", **portfolio.council_overview(db.session()))


@bp.route("/proposals/<int:proposal_id>/transition", methods=["POST"])
@roles(*ROLES)
def transition(proposal_id: int):
    session = db.session()
    proposal = get_proposal(proposal_id)
    try:
        workflow.transition(session, proposal, request.form.get("to_status", ""), actor=current_db_user(),
                            reason=request.form.get("reason", ""),
                            conditions=request.form.getlist("suggested") + request.form.get("conditions", "").splitlines(),
                            over_prohibition=request.form.get("confirm_prohibition") == "yes")
    except workflow.TransitionError as exc:
        session.rollback()
        return render_detail(proposal_id, 400, str(exc))
    session.commit()
    flash(f"Status is now {STATUS_LABELS[proposal.status].lower()}.")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/mitigate", methods=["POST"])
@roles(*EDITORS)
def mitigate(proposal_id: int):
    session = db.session()
    proposal = get_proposal(proposal_id)
    item_id = request.form.get("item_id", "")
    try:
        workflow.accept_mitigation(session, proposal, item_id, request.form.get("mitigation", ""),
                                   request.form.get("note", ""), actor=current_db_user())
    except workflow.TransitionError as exc:
        session.rollback()
        return render_detail(proposal_id, 400, str(exc))
    session.commit()
    flash(f"{item_id} marked mitigated.")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id))


def _inputs(proposal_id: int, status: str) -> dict:
    try:
        return reports.report_inputs(db.session(), get_proposal(proposal_id), status)
    except reports.NotAssessed as exc:
        abort(409, str(exc))


def _render_timeout() -> float:
    return current_app.config["REPORT_RENDER_TIMEOUT"]


def _unavailable(exc: RenderUnavailable):
    abort(503, f"The report could not be produced: {exc}. Try again; if it keeps happening, tell an administrator.")


@bp.route("/proposals/<int:proposal_id>/report.html")
@roles(*ROLES)
def report_preview(proposal_id: int):
    html = reports.report_html(_inputs(proposal_id, "DRAFT"))
    # In a browser the report is styled by the same stylesheet the PDF uses, served by the app itself.
    link = f'<link rel="stylesheet" href="{url_for("council.report_stylesheet")}">'
    return Response(html.replace("</head>", f"{link}\n</head>", 1), mimetype="text/html")


@bp.route("/reports/council_report.css")
@roles(*ROLES)
def report_stylesheet():
    css = STYLESHEET.read_text(encoding="utf-8").replace("riskdesk:/static/", url_for("static", filename=""))
    return Response(css, mimetype="text/css")


@bp.route("/proposals/<int:proposal_id>/report.pdf")
@roles(*ROLES)
def report_draft_pdf(proposal_id: int):
    try:
        pdf = reports.render_pdf(_inputs(proposal_id, "DRAFT"), timeout=_render_timeout())
    except RenderUnavailable as exc:
        _unavailable(exc)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="proposal-{proposal_id}-draft.pdf"'})


@bp.route("/proposals/<int:proposal_id>/issue", methods=["POST"])
@roles(*EDITORS)
def issue_report(proposal_id: int):
    session = db.session()
    proposal = get_proposal(proposal_id)
    replaces = request.form.get("replaces", "")
    try:
        _report, issued = reports.issue_report(session, proposal, actor=current_db_user(),
                                               reports_dir=Path(current_app.config["REPORTS_DIR"]),
                                               timeout=_render_timeout(),
                                               replaces=int(replaces) if replaces.isdigit() else None)
    except reports.NotAssessed as exc:
        abort(409, str(exc))
    except RenderUnavailable as exc:
        _unavailable(exc)
    except reports.StorageFailed as exc:
        session.rollback()
        abort(503, f"The report was not issued: {exc}. Tell an administrator.")
    session.commit()
    flash("Report issued. It will never change; download it from the list below." if issued else
          "This assessment's report was already issued (nothing new was issued); it is in the list below. "
          "To issue a new copy, use “Issue the report again”.")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/report.docx")
@roles(*ROLES)
def report_draft_docx(proposal_id: int):
    docx = reports.report_docx(_inputs(proposal_id, "DRAFT"))
    return Response(docx, mimetype=DOCX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="proposal-{proposal_id}-draft.docx"'})


@bp.route("/reports/<int:report_id>.docx")
@roles(*ROLES)
def report_issued_docx(report_id: int):
    report = get_or_404(Report, report_id, "report")
    stored = reports.issued_docx(db.session(), report)
    if stored is None:
        abort(404, "This report was issued before Word copies were kept; download the PDF.")
    filename, sha256 = stored
    docx = read_issued(Path(current_app.config["REPORTS_DIR"]), filename, sha256)
    return Response(docx, mimetype=DOCX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "ETag": sha256})


@bp.route("/reports/<int:report_id>.pdf")
@roles(*ROLES)
def report_issued(report_id: int):
    report = get_or_404(Report, report_id, "report")
    try:
        pdf = read_issued(Path(current_app.config["REPORTS_DIR"]), report.filename, report.sha256)
    except IntegrityError as exc:
        abort(410, f"The stored copy of this issued report is missing or damaged ({exc}); it is not served. "
                   "An administrator must restore it from backup.")
    except OSError as exc:
        abort(503, f"The reports folder cannot be read ({exc.strerror or exc}). Tell an administrator.")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{report.filename}"', "ETag": report.sha256})
