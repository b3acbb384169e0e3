"""Reference data: list snapshots, checklist releases, the audit trail, and screening a batch of names."""
from __future__ import annotations

from flask import Response, request
from sqlalchemy import select

from riskdesk import db
from riskdesk.api import schemas
from riskdesk.api.base import ApiProblem, actor, bp, get_or_problem, responses, spec
from riskdesk.api.problems import invalid
from riskdesk.audit import trail
from riskdesk.checklists import releases
from riskdesk.engine.checklists import ChecklistError, build_release
from riskdesk.engine.screening.importers import ListFormatError
from riskdesk.models import ChecklistRelease, ListSnapshot
from riskdesk.screening import services as screening
from riskdesk.users.access import roles
from riskdesk.vocabulary import EDITORS, ROLES


def snapshot_body(row: ListSnapshot) -> schemas.Snapshot:
    return schemas.Snapshot(id=row.id, format=row.format, source=row.source, filename=row.filename,
                            sha256=row.sha256, record_count=row.record_count, active=row.active,
                            imported_at=row.imported_at)


@bp.get("/lists")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.SnapshotList}), tags=["lists"])
def list_snapshots():
    """Every imported restricted-party list snapshot, newest first; `active` ones are screened against."""
    rows = db.session().scalars(select(ListSnapshot).order_by(ListSnapshot.id.desc()))
    return schemas.SnapshotList(snapshots=[snapshot_body(r) for r in rows])


@bp.post("/lists")
@roles("admin")
@spec.validate(json=schemas.SnapshotImport, resp=responses({"HTTP_201": schemas.Snapshot}, 400, 413, 415, 422),
               tags=["lists"])
def import_snapshot():
    """Import a list file (administrators); a file that does not parse leaves the active snapshot unchanged."""
    body: schemas.SnapshotImport = request.context.json
    session = db.session()
    try:
        row = screening.import_list(session, body.content.encode("utf-8"), body.format, filename=body.filename,
                                    actor=actor())
    except ListFormatError as exc:
        session.rollback()
        raise invalid([f"content: {exc}. The active snapshot is unchanged."]) from None
    session.commit()
    return snapshot_body(row), 201


def release_body(row: ChecklistRelease, cls=schemas.Release, **extra):
    return cls(id=row.id, hash=row.hash, item_count=row.item_count, note=row.note, active=row.active,
               created_at=row.created_at, files=sorted(row.files), **extra)


@bp.get("/releases")
@roles("admin")
@spec.validate(resp=responses({"HTTP_200": schemas.ReleaseList}), tags=["checklists"])
def list_releases():
    """Every published checklist release, newest first."""
    rows = db.session().scalars(select(ChecklistRelease).order_by(ChecklistRelease.id.desc()))
    return schemas.ReleaseList(releases=[release_body(r) for r in rows])


@bp.get("/releases/active")
@roles("admin")
@spec.validate(resp=responses({"HTTP_200": schemas.ReleaseDetail}, 404), tags=["checklists"])
def active_release():
    """The release new assessments use, with its files."""
    row = releases.active_release(db.session())
    if row is None:
        raise ApiProblem(404, "No checklist release is active; publish one first.")
    return release_body(row, schemas.ReleaseDetail, contents=row.files)


@bp.get("/releases/<int:release_id>")
@roles("admin")
@spec.validate(resp=responses({"HTTP_200": schemas.ReleaseDetail}, 404), tags=["checklists"])
def get_release(release_id: int):
    """One release with its files."""
    row = get_or_problem(ChecklistRelease, release_id, "checklist release")
    return release_body(row, schemas.ReleaseDetail, contents=row.files)


@bp.post("/releases/validate")
@roles("admin")
@spec.validate(json=schemas.ChecklistDraft, resp=responses({"HTTP_200": schemas.DraftValidation}, 400, 413, 415,
                                                            422), tags=["checklists"])
def validate_draft():
    """Check draft checklist files as publishing would, without publishing them."""
    body: schemas.ChecklistDraft = request.context.json
    try:
        release = build_release(body.files)
    except ChecklistError as exc:
        problems = [{"path": f"files.{p.file}" + (f":{p.line}" if p.line else ""), "message": p.reason}
                    for p in exc.problems]
        return schemas.DraftValidation(valid=False, hash=None, item_count=None, problems=problems)
    return schemas.DraftValidation(valid=True, hash=release.hash, item_count=len(release.items), problems=[])


def _audit_args(query: schemas.AuditQuery) -> dict:
    return query.model_dump(exclude_none=True, exclude={"limit"})


@bp.get("/audit")
@roles("admin")
@spec.validate(query=schemas.AuditQuery, resp=responses({"HTTP_200": schemas.AuditList}, 422), tags=["audit"])
def audit_events():
    """Audit events, newest first, filtered by action prefix, actor and object id (administrators)."""
    query: schemas.AuditQuery = request.context.query
    rows = db.session().scalars(trail.query(_audit_args(query)).limit(query.limit))
    return schemas.AuditList(events=[schemas.AuditEvent(
        id=e.id, at=e.at, actor=e.actor, action=e.action, object_type=e.object_type, object_id=e.object_id,
        summary=e.summary, before=e.before, after=e.after) for e in rows])


@bp.get("/audit.csv")
@roles("admin")
@spec.validate(query=schemas.AuditQuery, resp=responses({"HTTP_200": None}, 422), tags=["audit"])
def audit_csv():
    """The same events as CSV, as the audit page exports them (the limit does not apply)."""
    text = trail.csv_text(db.session(), _audit_args(request.context.query))
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="riskdesk-audit.csv"'})


@bp.post("/screen")
@roles(*EDITORS)
@spec.validate(json=schemas.ScreenIn, resp=responses({"HTTP_200": schemas.ScreenOut}, 400, 409, 413, 415, 422),
               tags=["screening"])
def screen_names():
    """Screen a batch of names against the active list snapshots (nothing is stored)."""
    body: schemas.ScreenIn = request.context.json
    matcher, snapshots = screening.active_matcher(db.session())
    if matcher is None:
        raise ApiProblem(409, "No restricted-party list is active; an administrator imports one first.")
    results = []
    for item in body.names:
        hits = [schemas.ScreenMatch(list_source=h.entry.source, entry_uid=h.entry.uid, listed_name=h.entry.name,
                                    matched_name=h.matched_name, score=float(h.score), why=h.why,
                                    programs=list(h.entry.programs)) for h in matcher.screen(item.name, kind=item.kind)]
        results.append(schemas.ScreenResult(name=item.name, hits=hits))
    return schemas.ScreenOut(snapshots=[s.sha256 for s in snapshots], results=results)
