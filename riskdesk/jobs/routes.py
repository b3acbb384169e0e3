"""Administrators: the jobs page (start, follow, read results) and each job's status as JSON for its progress bar."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from riskdesk import db
from riskdesk.jobs import queue
from riskdesk.jobs.kinds import KINDS
from riskdesk.models import Job
from riskdesk.users.access import roles
from riskdesk.vocabulary import WORKFLOW_STATUSES
from riskdesk.web import current_db_user, get_or_404

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")

RECENT = 50


@bp.route("")
@roles("admin")
def index():
    rows = db.session().scalars(select(Job).order_by(Job.id.desc()).limit(RECENT)).all()
    return render_template("jobs/index.html", jobs=rows, kinds=KINDS, statuses=WORKFLOW_STATUSES)


def _params_from_form(kind: str) -> dict:
    if kind == "render_reports":
        status = request.form.get("status", "")
        if status not in WORKFLOW_STATUSES:
            abort(400, "status: choose the workflow status whose proposals get their reports issued.")
        return {"status": status}
    return {}


@bp.route("", methods=["POST"])
@roles("admin")
def start():
    kind = request.form.get("kind", "")
    if kind not in ("reassess", "render_reports", "fetch_lists"):
        abort(400, "kind: choose a job an administrator can start here (re-assess, issue reports or fetch lists).")
    job = queue.submit(current_app, db.session(), kind, _params_from_form(kind), current_db_user())
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.route("/<int:job_id>")
@roles("admin")
def detail(job_id: int):
    job = get_or_404(Job, job_id, "job")
    return render_template("jobs/detail.html", job=job, kind=KINDS.get(job.kind), state=queue.status(current_app, job))


@bp.route("/<int:job_id>.json")
@roles("admin")
def status(job_id: int):
    return jsonify(queue.status(current_app, get_or_404(Job, job_id, "job")))
