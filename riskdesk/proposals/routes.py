"""Proposal pages: list and search, intake form, import/export, detail and assessment."""
from __future__ import annotations

import json

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
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from riskdesk import db
from riskdesk.engine.document import (
    DocumentError,
    dump_yaml,
    load_document,
    normalize,
    validate,
)
from riskdesk.proposals import assessments, services
from riskdesk.proposals.attachments import AttachmentError, extract_text
from riskdesk.proposals.detail import render_detail
from riskdesk.proposals.forms import ImportForm, form_to_document, intake_form_class
from riskdesk.proposals.services import (
    ConflictError,
    create_proposal,
    draft_blocking_problems,
    update_proposal,
)
from riskdesk.users.access import roles
from riskdesk.vocabulary import EDITORS, ROLES, WORKFLOW_STATUSES
from riskdesk.web import current_db_user, get_proposal

bp = Blueprint("proposals", __name__)


@bp.route("/")
@roles(*ROLES)
def home():
    if current_user.roles == {"council"}:
        return redirect(url_for("council.index"))
    return redirect(url_for("proposals.index"))


@bp.route("/proposals")
@roles(*ROLES)
def index():
    listing = services.search(db.session(), request.args, per_page=current_app.config["PROPOSALS_PER_PAGE"])
    params = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("proposals/list.html", **listing, params=params, statuses=WORKFLOW_STATUSES)


def _render_form(form, proposal=None, status=200, conflict=None):
    return render_template("proposals/form.html", form=form, proposal=proposal, conflict=conflict), status


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


def _handle_form(form, proposal):
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
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


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
                return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    status = 400 if (problems or form.errors) else 200
    return render_template("proposals/import.html", form=form, problems=problems), status


@bp.route("/proposals/<int:proposal_id>/export.<fmt>")
@roles(*ROLES)
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


@bp.route("/proposals/<int:proposal_id>")
@roles(*ROLES)
def detail(proposal_id: int):
    return render_detail(proposal_id)


@bp.route("/proposals/<int:proposal_id>/assess", methods=["POST"])
@roles(*EDITORS)
def assess(proposal_id: int):
    session = db.session()
    proposal = get_proposal(proposal_id)
    try:
        assessments.assess_proposal(session, proposal, actor=current_db_user())
    except DocumentError as exc:
        session.rollback()
        return render_detail(proposal.id, 400, "The proposal cannot be assessed until it is complete: "
                             + "; ".join(map(str, exc.problems)))
    except assessments.NotReady as exc:
        abort(409, str(exc))
    session.commit()
    flash("Assessment done.")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))
