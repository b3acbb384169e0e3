"""Council pages (awaiting decision, decisions, portfolio) and the proposal workflow actions."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from riskdesk import assessments, audit, db, releases, screening_service, workflow
from riskdesk.auth import roles
from riskdesk.intake.views import current_db_user, get_proposal, render_detail
from riskdesk.models import DECIDED, ROLES, Assessment, Proposal, Report, ScreeningHit, Transition
from riskdesk.scoring import scoring_summary

bp = Blueprint("council", __name__)
EDITORS = ("staff", "admin")


@bp.route("/council")
@roles(*ROLES)
def index():
    session = db.session()
    load = selectinload(Proposal.assessments)
    awaiting = session.scalars(select(Proposal).options(load).where(Proposal.status.in_(("submitted", "in_review")))
                               .order_by(Proposal.updated_at)).all()
    decided_list = session.scalars(select(Proposal).options(load).where(Proposal.status.in_(DECIDED))
                                   .order_by(Proposal.updated_at.desc()).limit(50)).all()
    portfolio = []
    active = releases.active_release(session)
    for proposal in session.scalars(select(Proposal).options(load).where(
            Proposal.status.in_(("approved", "approved_with_conditions"))).order_by(Proposal.title)):
        latest = assessments.latest(proposal)
        decided = session.scalars(select(Transition.at).where(Transition.proposal_id == proposal.id,
                                                              Transition.to_status.in_(DECIDED))
                                  .order_by(Transition.id.desc())).first()
        review_on, why = next_review(decided.date() if decided else proposal.updated_at.date(),
                                     (proposal.document.get("agreement") or {}).get("duration_years"),
                                     proposal.next_review_on)
        portfolio.append({
            "proposal": proposal, "assessment": latest, "next_review": review_on, "review_reason": why,
            "stale": latest is None or (active is not None and latest.release_id != active.id),
        })
    return render_template("council/index.html", awaiting=awaiting, decided=decided_list, portfolio=portfolio)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def next_review(decided_on: dt.date, duration_years: int | None, scheduled: dt.date | None,
                today: dt.date | None = None) -> tuple[dt.date, str]:
    """When a partnership is next due for review: a scheduled date, its renewal, or its yearly anniversary."""
    today = today or dt.date.today()
    if scheduled and scheduled >= today:
        return scheduled, "scheduled"
    anniversary = _add_years(decided_on, 1)
    while anniversary < today:
        anniversary = _add_years(anniversary, 1)
    if duration_years:
        renewal = _add_years(decided_on, duration_years)
        if today <= renewal <= anniversary:
            return renewal, "renewal"
    return anniversary, "anniversary of the decision"


@bp.route("/proposals/<int:proposal_id>/transition", methods=["POST"])
@roles(*ROLES)
def transition(proposal_id: int):
    session = db.session()
    proposal = get_proposal(proposal_id)
    conditions = request.form.get("conditions", "").splitlines()
    try:
        workflow.transition(session, proposal, request.form.get("to_status", ""), actor=current_db_user(),
                            reason=request.form.get("reason", ""), conditions=conditions)
    except workflow.TransitionError as exc:
        session.rollback()
        return render_detail(proposal_id, 400, str(exc))
    session.commit()
    flash(f"Status is now {proposal.status.replace('_', ' ')}.")
    return redirect(url_for("intake.detail", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/mitigate", methods=["POST"])
@roles(*EDITORS)
def mitigate(proposal_id: int):
    session = db.session()
    proposal = get_proposal(proposal_id)
    latest = assessments.latest(proposal)
    item_id = request.form.get("item_id", "")
    if latest is None or item_id not in {f["id"] for f in latest.result["findings"]}:
        abort(400, "item_id: choose a finding of the latest assessment.")
    try:
        workflow.accept_mitigation(session, proposal, item_id, request.form.get("mitigation", ""),
                                   request.form.get("note", ""), actor=current_db_user())
    except workflow.TransitionError as exc:
        session.rollback()
        return render_detail(proposal_id, 400, str(exc))
    session.commit()
    flash(f"{item_id} marked mitigated.")
    return redirect(url_for("intake.detail", proposal_id=proposal_id))


@bp.route("/screening/<int:hit_id>/adjudicate", methods=["POST"])
@roles(*EDITORS)
def adjudicate(hit_id: int):
    session = db.session()
    hit = session.get(ScreeningHit, hit_id) or abort(404)
    assessment = session.get(Assessment, hit.assessment_id)
    try:
        screening_service.adjudicate(session, hit, request.form.get("verdict", ""), request.form.get("note", ""),
                                     actor=current_db_user())
    except ValueError as exc:
        session.rollback()
        return render_detail(assessment.proposal_id, 400, str(exc))
    session.commit()
    flash("Adjudication recorded.")
    return redirect(url_for("intake.detail", proposal_id=assessment.proposal_id))


def report_inputs(session, proposal: Proposal, status: str) -> dict:
    latest = assessments.latest(proposal)
    if latest is None:
        abort(409, "Assess the proposal before producing a report.")
    hits = session.scalars(select(ScreeningHit).where(ScreeningHit.assessment_id == latest.id)).all()
    screening = []
    for hit in hits:
        decision = screening_service.adjudication_for(session, hit)
        screening.append({
            "query": hit.query, "role": hit.role, "list_source": hit.list_source, "matched_name": hit.matched_name,
            "entry_uid": hit.entry_uid, "score": hit.score, "why": hit.why,
            "adjudication": None if decision is None else {
                "verdict": decision.verdict, "note": decision.note, "by": decision.by_name,
                "at": decision.at.strftime("%Y-%m-%d")},
        })
    release_row = latest.release
    decided = session.scalars(select(Transition).where(Transition.proposal_id == proposal.id,
                                                       Transition.to_status.in_(DECIDED))
                              .order_by(Transition.id.desc())).first()
    return {
        "document": latest.facts, "result": latest.result, "status": status,
        "release": {"hash": release_row.hash, "created_at": release_row.created_at.strftime("%Y-%m-%d"),
                    "note": release_row.note,
                    "scoring": releases.compiled(release_row).scoring.description},
        "screening": screening if screening_service.active_snapshots(session) or hits else None,
        "residual": workflow.residual_for(session, proposal),
        "conditions": proposal.conditions or None,
        "scoring": scoring_summary(releases.compiled(release_row).scoring),
        "decision": None if decided is None else {
            "outcome": decided.to_status, "date": decided.at.strftime("%Y-%m-%d"),
            "by": decided.by.username if decided.by else "", "note": decided.reason},
    }


@bp.route("/proposals/<int:proposal_id>/report.html")
@roles(*ROLES)
def report_preview(proposal_id: int):
    from riskdesk.reports.render import build_context, render_html

    inputs = report_inputs(db.session(), get_proposal(proposal_id), "DRAFT")
    document, result = inputs.pop("document"), inputs.pop("result")
    html = render_html(build_context(document, result, **inputs))
    # In a browser the report is styled by the same stylesheet the PDF uses, served by the app itself.
    link = f'<link rel="stylesheet" href="{url_for("council.report_stylesheet")}">'
    return Response(html.replace("</head>", f"{link}\n</head>", 1), mimetype="text/html")


@bp.route("/reports/council_report.css")
@roles(*ROLES)
def report_stylesheet():
    from riskdesk.reports.render import STYLESHEET

    css = STYLESHEET.read_text(encoding="utf-8").replace("riskdesk:/static/", url_for("static", filename=""))
    return Response(css, mimetype="text/css")


def render_pdf_bounded(inputs: dict) -> bytes:
    """Build the report HTML here, render the PDF in the worker process within the configured time."""
    from riskdesk.reports.render import build_context, render_html
    from riskdesk.reports.worker import RenderTimeout, render_pdf_isolated

    html = render_html(build_context(inputs.pop("document"), inputs.pop("result"), **inputs))
    try:
        return render_pdf_isolated(html, timeout=current_app.config["REPORT_RENDER_TIMEOUT"])
    except RenderTimeout as exc:
        abort(503, f"The report could not be produced: {exc}. Try again; if it keeps happening, tell an administrator.")


@bp.route("/proposals/<int:proposal_id>/report.pdf")
@roles(*ROLES)
def report_draft_pdf(proposal_id: int):
    inputs = report_inputs(db.session(), get_proposal(proposal_id), "DRAFT")
    pdf = render_pdf_bounded(inputs)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="proposal-{proposal_id}-draft.pdf"'})


@bp.route("/proposals/<int:proposal_id>/issue", methods=["POST"])
@roles(*EDITORS)
def issue_report(proposal_id: int):
    from riskdesk.reports.storage import store_issued

    session = db.session()
    proposal = get_proposal(proposal_id)
    inputs = report_inputs(session, proposal, "ISSUED")
    issued_at = dt.datetime.now(dt.timezone.utc)
    pdf = render_pdf_bounded({**inputs, "issued_at": issued_at.strftime("%Y-%m-%d %H:%M UTC")})
    filename, sha256 = store_issued(pdf, Path(current_app.config["REPORTS_DIR"]), f"proposal-{proposal.id}")
    actor = current_db_user()
    report = Report(proposal_id=proposal.id, assessment_id=assessments.latest(proposal).id, filename=filename,
                    sha256=sha256, issued_at=issued_at, issued_by_id=actor.id)
    session.add(report)
    session.flush()
    audit.record(session, "report.issue", actor=actor, object_type="report", object_id=report.id,
                 summary=f"Issued report for proposal {proposal.id}", after={"sha256": sha256, "file": filename})
    session.commit()
    flash("Report issued. It will never change; download it from the list below.")
    return redirect(url_for("intake.detail", proposal_id=proposal.id))


@bp.route("/reports/<int:report_id>.pdf")
@roles(*ROLES)
def report_issued(report_id: int):
    from riskdesk.reports.storage import read_issued

    report = db.session().get(Report, report_id) or abort(404)
    pdf = read_issued(Path(current_app.config["REPORTS_DIR"]), report.filename, report.sha256)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{report.filename}"', "ETag": report.sha256})
