"""Administrators: checklist releases (edit, validate, preview impact, publish, roll back, re-assess)."""
from __future__ import annotations

import difflib
import re

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
from sqlalchemy import select

from riskdesk import db
from riskdesk.checklists import releases
from riskdesk.engine.checklists import ChecklistError, build_release
from riskdesk.jobs import queue as jobs
from riskdesk.models import ChecklistRelease
from riskdesk.proposals import assessments
from riskdesk.users.access import roles
from riskdesk.web import current_db_user, get_or_404

bp = Blueprint("checklists", __name__, url_prefix="/admin")


def _active_or_409(session) -> ChecklistRelease:
    row = releases.active_release(session)
    if row is None:
        abort(409, "No checklist release is active yet.")
    return row


@bp.route("/checklists")
@roles("admin")
def index():
    session = db.session()
    rows = session.scalars(select(ChecklistRelease).order_by(ChecklistRelease.id.desc())).all()
    active = releases.active_release(session)
    return render_template("checklists/index.html", releases=rows, active=active,
                           files=sorted(active.files) if active else [])


# "states/TX.yaml", "core/data_protection.yaml": no spaces, quotes, line breaks, dots or leading slash,
# since the name appears in the release, in download headers and in the audit trail.
CHECKLIST_NAME = re.compile(r"(?:[A-Za-z0-9_-]{1,40}/){0,2}[A-Za-z0-9_-]{1,60}\.ya?ml")


def _submitted_file(active: ChecklistRelease) -> tuple[str, str]:
    """The file name and text an administrator sent, typed in or uploaded."""
    name = request.values.get("file", "")
    upload = request.files.get("upload")
    if upload is not None and upload.filename:
        name = name or upload.filename
        try:
            text = upload.read(1_000_001).decode("utf-8")
        except UnicodeDecodeError:
            abort(400, "upload: the checklist file must be UTF-8 text.")
    else:
        text = request.form.get("text", "")
    if not CHECKLIST_NAME.fullmatch(name):
        abort(400, "file: a checklist file path of letters, digits, _ and - ending in .yaml is required "
                   "(e.g. states/TX.yaml).")
    return name, text.replace("\r\n", "\n")


@bp.route("/checklists/edit", methods=["GET", "POST"])
@roles("admin")
def edit():
    session = db.session()
    active = _active_or_409(session)
    if request.method == "GET":
        name = request.args.get("file", "")
        if name not in active.files:
            abort(404, f"There is no checklist file {name!r} in the active release.")
        return render_template("checklists/edit.html", name=name, text=active.files[name], note="", problems=[],
                               changes=None)
    name, text = _submitted_file(active)
    note = request.form.get("note", "").strip()[:500]
    files = {**active.files, name: text}
    try:
        if request.form.get("action") != "publish" and jobs.background(current_app):
            build_release(files)  # a malformed draft is answered now, not by a job
            job = jobs.submit(current_app, session, "impact", {"files": files, "file": name}, current_db_user())
            return render_template("checklists/edit.html", name=name, text=text, note=note, problems=[],
                                   changes=None, job=job, state=jobs.status(current_app, job),
                                   kind=jobs.KINDS["impact"])
        changes = releases.impact(session, files)
    except ChecklistError as exc:
        return render_template("checklists/edit.html", name=name, text=text, note=note, problems=exc.problems,
                               changes=None), 400
    if request.form.get("action") == "publish":
        row = releases.publish(session, files, actor=current_db_user(), note=note or f"Edited {name}")
        session.commit()
        flash(f"Published release {row.hash[:12]}. Open assessments made under the previous release are now marked stale.")
        return redirect(url_for("checklists.index"))
    diff = list(difflib.unified_diff(active.files.get(name, "").splitlines(), text.splitlines(),
                                     f"active/{name}", f"edited/{name}", lineterm=""))
    return render_template("checklists/edit.html", name=name, text=text, note=note, problems=[], changes=changes,
                           diff=diff, reassess_count=releases.reassessable_count(session))


@bp.route("/checklists/<int:release_id>/activate", methods=["GET", "POST"])
@roles("admin")
def rollback(release_id: int):
    """GET asks for confirmation (showing what would change); POST makes the release active again."""
    session = db.session()
    row = get_or_404(ChecklistRelease, release_id, "checklist release")
    if request.method == "GET":
        active = _active_or_409(session)
        if row.id == active.id:
            flash(f"Release {row.hash[:12]} is already active.")
            return redirect(url_for("checklists.index"))
        return render_template("checklists/rollback.html", release=row, active=active,
                               changes=releases.impact(session, dict(row.files)),
                               reassess_count=releases.reassessable_count(session))
    releases.publish(session, dict(row.files), actor=current_db_user(), note=f"Rolled back to release {row.hash[:12]}")
    session.commit()
    flash(f"Release {row.hash[:12]} is active again.")
    return redirect(url_for("checklists.index"))


@bp.route("/checklists/<int:release_id>/<path:name>")
@roles("admin")
def download(release_id: int, name: str):
    row = get_or_404(ChecklistRelease, release_id, "checklist release")
    if name not in row.files:
        abort(404)
    return Response(row.files[name], mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{name.replace("/", "_")}"'})


@bp.route("/checklists/reassess", methods=["POST"])
@roles("admin")
def reassess_stale():
    """Re-assess every open or active proposal whose latest assessment predates the active release."""
    session = db.session()
    active = _active_or_409(session)
    if jobs.background(current_app):
        job = jobs.submit(current_app, session, "reassess", {}, current_db_user())
        return redirect(url_for("jobs.detail", job_id=job.id))
    done, skipped = assessments.reassess_stale(session, active, actor=current_db_user())
    session.commit()
    flash(f"Re-assessed {done} proposal{'s' if done != 1 else ''} under release {active.hash[:12]}"
          + (f"; {skipped} incomplete proposal(s) skipped." if skipped else "."))
    return redirect(url_for("checklists.index"))
