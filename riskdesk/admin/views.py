"""Administrators: checklist releases (edit, validate, preview impact, publish, roll back), users, audit."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from riskdesk import audit, db, releases
from riskdesk.auth import roles
from riskdesk.auth.passwords import hash_password, password_problem
from riskdesk.checklists import ChecklistError, build_release
from riskdesk.intake.document import validate
from riskdesk.intake.views import current_db_user
from riskdesk.models import ROLES, AuditEvent, ChecklistRelease, Proposal, User
from riskdesk.scoring import score

bp = Blueprint("admin", __name__, url_prefix="/admin")
OPEN_AND_ACTIVE = ("draft", "submitted", "in_review", "approved", "approved_with_conditions")


def _active_or_404(session) -> ChecklistRelease:
    row = releases.active_release(session)
    if row is None:
        abort(409, "No checklist release is active yet.")
    return row


@bp.route("/checklists")
@roles("admin")
def checklists():
    session = db.session()
    rows = session.scalars(select(ChecklistRelease).order_by(ChecklistRelease.id.desc())).all()
    active = releases.active_release(session)
    return render_template("admin/checklists.html", releases=rows, active=active,
                           files=sorted(active.files) if active else [])


def impact(session, files: dict[str, str]) -> list[dict]:
    """Re-score every open and active proposal under the active and the draft release; list differences."""
    draft = build_release(files)  # refuse a malformed draft before any other work
    current = releases.compiled(_active_or_404(session))
    changes = []
    for proposal in session.scalars(select(Proposal).where(Proposal.status.in_(OPEN_AND_ACTIVE)).order_by(Proposal.id)):
        if validate(proposal.document):
            continue
        before = score(proposal.document, current).to_dict()
        after = score(proposal.document, draft).to_dict()
        from riskdesk.assessments import compare

        diff = compare(before, after)
        if diff["rating"][0] != diff["rating"][1] or diff["prohibited"][0] != diff["prohibited"][1] or \
                diff["new"] or diff["gone"] or diff["changed"]:
            changes.append({"proposal": proposal, **diff})
    return changes


@bp.route("/checklists/edit", methods=["GET", "POST"])
@roles("admin")
def edit_checklist():
    session = db.session()
    active = _active_or_404(session)
    name = request.values.get("file", "")
    if request.method == "GET":
        if name not in active.files:
            abort(404, f"There is no checklist file {name!r} in the active release.")
        return render_template("admin/edit.html", name=name, text=active.files[name], note="", problems=[],
                               changes=None)
    upload = request.files.get("upload")
    if upload is not None and upload.filename:
        name = name or upload.filename
        try:
            text = upload.read(1_000_001).decode("utf-8")
        except UnicodeDecodeError:
            abort(400, "upload: the checklist file must be UTF-8 text.")
    else:
        text = request.form.get("text", "")
    text = text.replace("\r\n", "\n")
    note = request.form.get("note", "").strip()[:500]
    if not name or ".." in name or name.startswith("/") or not name.endswith((".yaml", ".yml")):
        abort(400, "file: a checklist file path ending in .yaml is required (e.g. states/TX.yaml).")
    files = {**active.files, name: text}
    try:
        changes = impact(session, files)
    except ChecklistError as exc:
        return render_template("admin/edit.html", name=name, text=text, note=note, problems=exc.problems,
                               changes=None), 400
    if request.form.get("action") == "publish":
        row = releases.publish(session, files, actor=current_db_user(), note=note or f"Edited {name}")
        session.commit()
        flash(f"Published release {row.hash[:12]}. Open assessments made under the previous release are now marked stale.")
        return redirect(url_for("admin.checklists"))
    return render_template("admin/edit.html", name=name, text=text, note=note, problems=[], changes=changes)


@bp.route("/checklists/<int:release_id>/activate", methods=["POST"])
@roles("admin")
def rollback(release_id: int):
    session = db.session()
    row = session.get(ChecklistRelease, release_id) or abort(404)
    releases.publish(session, dict(row.files), actor=current_db_user(), note=f"Rolled back to release {row.hash[:12]}")
    session.commit()
    flash(f"Release {row.hash[:12]} is active again.")
    return redirect(url_for("admin.checklists"))


@bp.route("/checklists/<int:release_id>/<path:name>")
@roles("admin")
def download_checklist(release_id: int, name: str):
    row = db.session().get(ChecklistRelease, release_id) or abort(404)
    if name not in row.files:
        abort(404)
    return Response(row.files[name], mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{name.replace("/", "_")}"'})


@bp.route("/users", methods=["GET", "POST"])
@roles("admin")
def users():
    session = db.session()
    problems = []
    if request.method == "POST":
        actor = current_db_user()
        action = request.form.get("action")
        if action == "create":
            username = request.form.get("username", "").strip()
            password = request.form.get("password", "")
            chosen = [r for r in request.form.getlist("roles") if r in ROLES]
            if not username or len(username) > 80:
                problems.append("username: required, at most 80 characters")
            elif session.scalars(select(User).where(User.username == username)).first():
                problems.append(f"username: {username!r} is taken")
            if password_problem(password):
                problems.append(f"password: {password_problem(password)}")
            if not chosen:
                problems.append("roles: choose at least one role")
            if not problems:
                user = User(username=username, display_name=username, password_hash=hash_password(password))
                user.roles = chosen
                session.add(user)
                session.flush()
                audit.record(session, "user.create", actor=actor, object_type="user", object_id=user.id,
                             after={"username": username, "roles": sorted(chosen)})
                session.commit()
                flash(f"User {username} created.")
                return redirect(url_for("admin.users"))
        else:
            user = session.get(User, request.form.get("user_id", type=int) or 0) or abort(404)
            before = {"roles": sorted(user.roles), "active": user.active}
            if action == "roles":
                chosen = [r for r in request.form.getlist("roles") if r in ROLES]
                if user.id == actor.id and "admin" not in chosen:
                    abort(400, "roles: you cannot remove your own admin role.")
                user.roles = chosen
            elif action in ("disable", "enable"):
                if user.id == actor.id:
                    abort(400, "You cannot disable yourself.")
                user.active = action == "enable"
            else:
                abort(400, "action: unknown")
            audit.record(session, f"user.{action}", actor=actor, object_type="user", object_id=user.id,
                         before=before, after={"roles": sorted(user.roles), "active": user.active})
            session.commit()
            flash(f"User {user.username} updated.")
            return redirect(url_for("admin.users"))
    rows = session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=rows, roles=ROLES, problems=problems), 400 if problems else 200


def _audit_query(args):
    query = select(AuditEvent)
    if args.get("action"):
        query = query.where(AuditEvent.action.like(f"{args['action'][:60]}%"))
    if args.get("actor"):
        query = query.where(AuditEvent.actor == args["actor"][:80])
    if args.get("object_id"):
        query = query.where(AuditEvent.object_id == args["object_id"][:80])
    return query.order_by(AuditEvent.id.desc())


@bp.route("/audit")
@roles("admin")
def audit_log():
    rows = db.session().scalars(_audit_query(request.args).limit(500)).all()
    return render_template("admin/audit.html", events=rows, params=request.args)


@bp.route("/audit.csv")
@roles("admin")
def audit_csv():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "actor", "action", "object_type", "object_id", "summary", "before", "after"])
    import json

    for e in db.session().scalars(_audit_query(request.args)):
        writer.writerow([e.id, e.at.isoformat(), e.actor, e.action, e.object_type, e.object_id, e.summary,
                         json.dumps(e.before, ensure_ascii=False), json.dumps(e.after, ensure_ascii=False)])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="riskdesk-audit.csv"'})


@bp.route("/lists", methods=["GET", "POST"])
@roles("admin")
def lists():
    """Restricted-party list snapshots: what is active, when it was imported, and importing a new file."""
    from riskdesk import screening_service
    from riskdesk.models import ListSnapshot
    from riskdesk.screening.importers import FORMATS, ListFormatError

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
                snapshot = screening_service.import_list(session, upload.read(), fmt, filename=upload.filename,
                                                         actor=current_db_user())
            except ListFormatError as exc:
                session.rollback()
                problem = f"{upload.filename}: {exc}. The active snapshot is unchanged."
            else:
                session.commit()
                flash(f"Imported {snapshot.record_count} records from {upload.filename}.")
                return redirect(url_for("admin.lists"))
    snapshots = session.scalars(select(ListSnapshot).order_by(ListSnapshot.id.desc())).all()
    return render_template("admin/lists.html", snapshots=snapshots, formats=FORMATS, problem=problem), \
        400 if problem else 200


@bp.route("/checklists/reassess", methods=["POST"])
@roles("admin")
def reassess_stale():
    """Re-assess every open or active proposal whose latest assessment predates the active release."""
    from riskdesk import assessments, screening_service

    session = db.session()
    active = _active_or_404(session)
    actor = current_db_user()
    done = skipped = 0
    for proposal in session.scalars(select(Proposal).where(Proposal.status.in_(OPEN_AND_ACTIVE)).order_by(Proposal.id)):
        latest = assessments.latest(proposal)
        if latest is None or latest.release_id == active.id:
            continue
        if validate(proposal.document):
            skipped += 1
            continue
        hits, records = screening_service.screen_proposal(session, proposal)
        assessments.assess(session, proposal, actor=actor, screening=hits, screening_records=records)
        done += 1
    session.commit()
    flash(f"Re-assessed {done} proposal{'s' if done != 1 else ''} under release {active.hash[:12]}"
          + (f"; {skipped} incomplete proposal(s) skipped." if skipped else "."))
    return redirect(url_for("admin.checklists"))
