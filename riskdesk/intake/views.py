"""Proposal pages: list and search, intake form, import/export, detail and assessment."""
from __future__ import annotations

import json
import math

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import defer, selectinload
from sqlalchemy.orm.exc import StaleDataError

from riskdesk import assessments, db
from riskdesk.auth import roles
from riskdesk.intake.attachments import AttachmentError, extract_text
from riskdesk.intake.document import DocumentError, dump_yaml, load_document, normalize, validate
from riskdesk.intake.forms import form_to_document, intake_form_class
from riskdesk.intake.services import ConflictError, create_proposal, draft_blocking_problems, update_proposal
from riskdesk.models import ROLES, WORKFLOW_STATUSES, Assessment, Proposal, User

bp = Blueprint("intake", __name__)
ALL = ROLES
EDITORS = ("staff", "admin")


def get_proposal(proposal_id: int) -> Proposal:
    proposal = db.session().get(Proposal, proposal_id)
    if proposal is None:
        abort(404, f"There is no proposal {proposal_id}.")
    return proposal


def current_db_user() -> User:
    return db.session().get(User, current_user.id)


@bp.route("/")
@roles(*ALL)
def home():
    if current_user.roles == {"council"}:
        return redirect(url_for("council.index"))
    return redirect(url_for("intake.index"))


@bp.route("/proposals")
@roles(*ALL)
def index():
    session = db.session()
    args = request.args
    query = select(Proposal)
    text = args.get("q", "").strip()[:100]
    if text:
        needle = text.lower()  # autoescape: "%" and "_" are searched for literally, not as wildcards
        query = query.where(or_(*(func.lower(column).contains(needle, autoescape=True)
                                  for column in (Proposal.title, Proposal.partner_name, Proposal.city_name))))
    filters = {"state": Proposal.city_state, "country": Proposal.partner_country,
               "type": Proposal.agreement_type, "status": Proposal.status}
    for name, column in filters.items():
        value = args.get(name, "").strip()
        if value:
            query = query.where(column == value.upper() if name in ("state", "country") else column == value)
    per_page = current_app.config["PROPOSALS_PER_PAGE"]
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(args.get("page", 1, type=int) or 1, 1), pages)
    rows = session.scalars(query.options(defer(Proposal.document), selectinload(Proposal.assessments).load_only(
        Assessment.id, Assessment.proposal_id, Assessment.rating)).order_by(Proposal.updated_at.desc(), Proposal.id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    params = {k: v for k, v in args.items() if k != "page" and v}
    return render_template("intake/list.html", proposals=rows, total=total, page=page, pages=pages,
                           params=params, statuses=WORKFLOW_STATUSES)


def _render_form(form, proposal=None, status=200, conflict=None):
    return render_template("intake/form.html", form=form, proposal=proposal, conflict=conflict), status


def _attach_problems(form, problems) -> list[str]:
    """Put each schema problem next to its field; return the ones no field could take."""
    unplaced = []
    for problem in problems:
        field = form.document
        for part in problem.path.split(".") if problem.path else []:
            try:
                field = field[int(part)] if part.isdigit() else field.form[part] if hasattr(field, "form") else None
            except (KeyError, IndexError, TypeError):
                field = None
            if field is None:
                break
        if field is None or field is form.document:
            unplaced.append(str(problem))
            continue
        field.errors = list(field.errors or []) + [problem.message]
    return unplaced


def _handle_form(form, proposal: Proposal | None):
    """Shared POST handling for new and edit: add rows, attach text, save draft or save and check."""
    if form.add_intermediary.data:
        form.document.intermediaries.append_entry()
        return _render_form(form, proposal)
    if form.add_person.data:
        form.document.people.append_entry()
        return _render_form(form, proposal)
    type_errors = not form.validate()  # type coercion, e.g. a number field holding letters
    document = form_to_document(form)
    upload = form.attachment.data
    if upload and getattr(upload, "filename", ""):
        try:
            text = extract_text(upload.filename, upload.read(), current_app.config["UPLOAD_MAX_BYTES"])
        except AttachmentError as exc:
            form.attachment.errors = [str(exc)]
            return _render_form(form, proposal, 400)
        document["agreement"]["text"] = text
        form.document.agreement.form.text.data = text
    draft = bool(form.save_draft.data)
    problems = draft_blocking_problems(document) if draft else validate(document)
    if problems or type_errors:
        form.form_errors.extend(_attach_problems(form, problems))
        return _render_form(form, proposal, 400)
    session = db.session()
    actor = current_db_user()
    try:
        if proposal is None:
            proposal = create_proposal(session, document, actor=actor)
        else:
            update_proposal(session, proposal, document, expected_version=int(form.version_id.data or 0), actor=actor)
        session.commit()
    except ConflictError as exc:
        session.rollback()
        return _render_form(form, exc.proposal, 409, conflict=exc.proposal)
    except StaleDataError:  # another save landed between our version check and our UPDATE
        session.rollback()
        current = get_proposal(proposal.id)
        return _render_form(form, current, 409, conflict=current)
    flash("Draft saved." if draft and not proposal.is_complete else "Proposal saved.")
    return redirect(url_for("intake.detail", proposal_id=proposal.id))


@bp.route("/proposals/new", methods=["GET", "POST"])
@roles(*EDITORS)
def new():
    form = intake_form_class()()
    if request.method == "POST":
        return _handle_form(form, None)
    return _render_form(form)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@roles(*EDITORS)
def edit(proposal_id: int):
    proposal = get_proposal(proposal_id)
    if request.method == "POST":
        return _handle_form(intake_form_class()(), proposal)
    form = intake_form_class()(data={"document": proposal.document, "version_id": proposal.version_id})
    return _render_form(form, proposal)


@bp.route("/proposals/import", methods=["GET", "POST"])
@roles(*EDITORS)
def import_document():
    from flask_wtf import FlaskForm
    from flask_wtf.file import FileField
    from wtforms import SubmitField

    class ImportForm(FlaskForm):
        file = FileField("Intake document (YAML or JSON)")
        submit = SubmitField("Import")

    form = ImportForm()
    problems: list = []
    if form.validate_on_submit():
        upload = form.file.data
        name = getattr(upload, "filename", "") or ""
        if not name.lower().endswith((".yaml", ".yml", ".json")):
            problems = ["file: choose a .yaml, .yml or .json file"]
        else:
            try:
                text = upload.read().decode("utf-8")
                document = load_document(text, name)
            except UnicodeDecodeError:
                problems = ["file: not UTF-8 text"]
            except DocumentError as exc:
                problems = [str(p) for p in exc.problems]
            else:
                session = db.session()
                proposal = create_proposal(session, document, actor=current_db_user(), how=f"import of {name}")
                session.commit()
                flash(f"Imported {name}.")
                return redirect(url_for("intake.detail", proposal_id=proposal.id))
    status = 400 if (problems or form.errors) else 200
    return render_template("intake/import.html", form=form, problems=problems), status


@bp.route("/proposals/<int:proposal_id>/export.<fmt>")
@roles(*ALL)
def export(proposal_id: int, fmt: str):
    proposal = get_proposal(proposal_id)
    document = normalize(proposal.document)
    filename = f"proposal-{proposal.id}.{fmt}"
    if fmt == "json":
        body, mimetype = json.dumps(document, indent=2, ensure_ascii=False) + "\n", "application/json"
    elif fmt == "yaml":
        body, mimetype = dump_yaml(document), "application/x-yaml"
    else:
        abort(404, "Export is available as .yaml or .json.")
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


EFFECT_ORDER = {"prohibition": 0, "requirement": 1, "risk": 2, "gap": 3}
SEVERITY_ORDER = {"critical": 0, "high": 1, "moderate": 2, "low": 3}


def by_weight(findings: list[dict]) -> list[dict]:
    """Prohibitions first, then the most severe."""
    return sorted(findings, key=lambda f: (EFFECT_ORDER[f["effect"]], SEVERITY_ORDER[f["severity"]], f["id"]))


def _grouped(findings: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for finding in by_weight(findings):
        if finding["category"] in ("legal_state", "legal_federal") and finding["effect"] in ("prohibition", "requirement"):
            continue
        groups.setdefault(finding["category"], []).append(finding)
    return groups


@bp.route("/proposals/<int:proposal_id>")
@roles(*ALL)
def detail(proposal_id: int):
    return render_detail(proposal_id)


def render_detail(proposal_id: int, status: int = 200, error: str = ""):
    """The proposal page; with ``error``, a 4xx answer that shows the problem on the page itself."""
    session = db.session()
    proposal = get_proposal(proposal_id)
    assessment = assessments.latest(proposal)
    context = {"proposal": proposal, "assessment": assessment, "problems": validate(proposal.document)}
    if assessment is not None:
        result = assessment.result
        context.update(
            result=result,
            legal=by_weight([f for f in result["findings"] if f["category"] in ("legal_state", "legal_federal")
                             and f["effect"] in ("prohibition", "requirement")]),
            groups=_grouped(result["findings"]),
            stale=assessments.is_stale(session, assessment),
            changes=(assessments.compare(proposal.assessments[-2].result, result)
                     if len(proposal.assessments) > 1 else None),
        )
    from riskdesk import screening_service, workflow

    context.update(workflow.detail_context(session, proposal))
    context["screening"] = screening_service.hits_with_decisions(session, assessment) if assessment else []
    context["screening_lists"] = screening_service.active_snapshots(session)
    context["error"] = error
    return render_template("intake/detail.html", **context), status


@bp.route("/proposals/<int:proposal_id>/assess", methods=["POST"])
@roles(*EDITORS)
def assess(proposal_id: int):
    session = db.session()
    proposal = get_proposal(proposal_id)
    from riskdesk import screening_service

    try:
        hits, records = screening_service.screen_proposal(session, proposal)
        assessments.assess(session, proposal, actor=current_db_user(), screening=hits, screening_records=records)
    except DocumentError as exc:
        session.rollback()
        return render_detail(proposal.id, 400, "The proposal cannot be assessed until it is complete: "
                             + "; ".join(map(str, exc.problems)))
    except assessments.NotReady as exc:
        abort(409, str(exc))
    session.commit()
    flash("Assessment done.")
    return redirect(url_for("intake.detail", proposal_id=proposal.id))
