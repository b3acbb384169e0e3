"""Restricted-party list snapshots (administrators) and adjudication of screening hits (staff)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from riskdesk import db
from riskdesk.engine.screening.importers import FORMATS, ListFormatError
from riskdesk.models import Assessment, ListSnapshot, ScreeningHit
from riskdesk.proposals.detail import render_detail
from riskdesk.screening import services
from riskdesk.users.access import roles
from riskdesk.vocabulary import EDITORS
from riskdesk.web import current_db_user, get_or_404

bp = Blueprint("screening", __name__)


@bp.route("/admin/lists", methods=["GET", "POST"])
@roles("admin")
def lists():
    """What is active, when it was imported, and importing a new file."""
    session = db.session()
    problem = ""
    if request.method == "POST":
        upload = request.files.get("file")
        fmt = request.form.get("format", "")
        if fmt not in FORMATS:
            problem = f"format: choose one of {', '.join(FORMATS)}"
        elif upload is None or not upload.filename:
            problem = "file: choose a list file to import"
        else:
            try:
                snapshot, _, _ = services.import_and_monitor(session, upload.read(), fmt, filename=upload.filename,
                                                             actor=current_db_user())
            except ListFormatError as exc:
                session.rollback()
                problem = f"{upload.filename}: {exc}. The active snapshot is unchanged."
            else:
                session.commit()
                flash(f"Imported {snapshot.record_count} records from {upload.filename}.")
                return redirect(url_for("screening.lists"))
    snapshots = session.scalars(select(ListSnapshot).order_by(ListSnapshot.id.desc())).all()
    return render_template("screening/lists.html", snapshots=snapshots, formats=FORMATS, problem=problem), \
        400 if problem else 200


@bp.route("/screening/<int:hit_id>/adjudicate", methods=["POST"])
@roles(*EDITORS)
def adjudicate(hit_id: int):
    session = db.session()
    hit = get_or_404(ScreeningHit, hit_id, "screening hit")
    assessment = session.get(Assessment, hit.assessment_id)
    try:
        services.adjudicate(session, hit, request.form.get("verdict", ""), request.form.get("note", ""),
                            actor=current_db_user())
    except ValueError as exc:
        session.rollback()
        return render_detail(assessment.proposal_id, 400, str(exc))
    session.commit()
    flash("Adjudication recorded.")
    return redirect(url_for("proposals.detail", proposal_id=assessment.proposal_id))
