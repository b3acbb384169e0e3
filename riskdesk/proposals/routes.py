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
from riskdesk.engine.labels import enum_values, value_label
from riskdesk.proposals import assessments, services
from riskdesk.proposals.attachments import AttachmentError, extract_text
from riskdesk.proposals.detail import render_detail
from riskdesk.proposals.forms import ImportForm, error_items, form_to_document, intake_form_class
from riskdesk.proposals.services import (
    AnswerError,
    ConflictError,
    DuplicateProposal,
    ProposalLocked,
    answer_questions,
    create_proposal,
    draft_blocking_problems,
    save_document,
)
from riskdesk.proposals.workflow import TransitionError, start_amendment
from riskdesk.users.access import roles
from riskdesk.vocabulary import DECIDED, EDITORS, RATING_LABELS, ROLES, WORKFLOW_STATUSES
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
    codes = {name: services.place_code(name, params[name])[0] for name in services.PLACE_FILTERS if name in params}
    types = [(t, value_label("agreement.type", t)) for t in enum_values("agreement.type")]
    return render_template("proposals/list.html", **listing, params=params, codes=codes, statuses=WORKFLOW_STATUSES,
                           agreement_types=types)


def _render_form(form, proposal=None, status=200, conflict=None, duplicate=None, focus=""):
    return render_template("proposals/form.html", form=form, proposal=proposal, conflict=conflict,
                           duplicate=duplicate, focus=focus, errors=error_items(form)), status


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


def _add_row(form, proposal):
    """Add a row without saving; the new row's first field gets the focus (and the page scrolls to it)."""
    rows = form.document.intermediaries if form.add_intermediary.data else form.document.people
    rows.append_entry()
    return _render_form(form, proposal, focus=next(iter(rows.entries[-1].form)).id)


def _handle_form(form, proposal):
    """Shared POST handling for new and edit: add rows, attach text, save draft or save and check."""
    if form.add_intermediary.data or form.add_person.data:
        return _add_row(form, proposal)
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
    try:
        proposal, assessment = save_document(
            session, proposal, document, expected_version=int(form.version_id.data or 0), actor=current_db_user(),
            check=not draft, allow_duplicate=bool(form.save_anyway.data))
        session.commit()
    except DuplicateProposal as exc:
        session.rollback()
        return _render_form(form, None, 409, duplicate=exc.existing)
    except ProposalLocked as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("proposals.detail", proposal_id=exc.proposal.id))
    except ConflictError as exc:
        session.rollback()
        return _render_form(form, exc.proposal, 409, conflict=exc.proposal)
    except StaleDataError:  # another save landed between our version check and our UPDATE
        session.rollback()
        current = get_proposal(proposal.id)
        return _render_form(form, current, 409, conflict=current)
    if assessment is not None:
        flash(f"Proposal saved and checked: rated {RATING_LABELS[assessment.rating].lower()}"
              f"{', a legal prohibition applies' if assessment.prohibited else ''}.")
    else:
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
    if proposal.status in DECIDED:
        flash(str(ProposalLocked(proposal)), "error")
        return redirect(url_for("proposals.detail", proposal_id=proposal.id, _anchor="amend"))
    form = intake_form_class()(data={"document": proposal.document, "version_id": proposal.version_id})
    return _render_form(form, proposal)


def _read_import(form: ImportForm) -> tuple[str, str, list[str]]:
    """The uploaded (or, on "Import anyway", the carried-over) file name and text, or problems."""
    if form.import_anyway.data and form.content.data:
        return form.filename.data or "document.yaml", form.content.data, []
    upload = form.file.data
    name = getattr(upload, "filename", "") or ""
    if not name.lower().endswith((".yaml", ".yml", ".json")):
        return name, "", ["file: choose a .yaml, .yml or .json file"]
    try:
        return name, upload.read().decode("utf-8"), []
    except UnicodeDecodeError:
        return name, "", ["file: not UTF-8 text"]


@bp.route("/proposals/import", methods=["GET", "POST"])
@roles(*EDITORS)
def import_document():
    form = ImportForm()
    problems: list = []
    duplicate = None
    if form.validate_on_submit():
        name, text, problems = _read_import(form)
        if not problems:
            try:
                document = load_document(text, name)
                session = db.session()
                proposal = create_proposal(session, document, actor=current_db_user(), how=f"import of {name}",
                                           allow_duplicate=bool(form.import_anyway.data))
                session.commit()
            except DocumentError as exc:
                problems = [str(p) for p in exc.problems]
            except DuplicateProposal as exc:
                db.session().rollback()
                duplicate = exc.existing
                form.content.data, form.filename.data = text, name
            else:
                flash(f"Imported {name}.")
                return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    status = 409 if duplicate else 400 if (problems or form.errors) else 200
    return render_template("proposals/import.html", form=form, problems=problems, duplicate=duplicate), status


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


@bp.route("/proposals/<int:proposal_id>/answers", methods=["POST"])
@roles(*EDITORS)
def answer(proposal_id: int):
    """Open questions answered on the proposal page: one audited update, then a re-assessment."""
    session = db.session()
    proposal = get_proposal(proposal_id)
    answers = {key.removeprefix("answer:"): value for key, value in request.form.items() if key.startswith("answer:")}
    try:
        changed, assessment = answer_questions(session, proposal, answers, actor=current_db_user(),
                                               expected_version=int(request.form.get("version_id") or 0))
        session.commit()
    except AnswerError as exc:
        session.rollback()
        return render_detail(proposal_id, 400, "Nothing was saved: " + "; ".join(map(str, exc.problems)))
    except (ConflictError, StaleDataError):
        session.rollback()
        return render_detail(proposal_id, 409, "Someone else changed this proposal since you opened the page. "
                                               "Nothing was saved: look at the new version and answer again.")
    except ProposalLocked as exc:
        session.rollback()
        return render_detail(proposal_id, 409, str(exc))
    except assessments.NotReady as exc:
        session.rollback()
        abort(409, str(exc))
    if not changed:
        flash("No answer was changed.")
    else:
        flash(f"{len(changed)} answer{'s' if len(changed) != 1 else ''} saved and the proposal re-assessed: rated "
              f"{RATING_LABELS[assessment.rating].lower()}.")
    return redirect(url_for("proposals.detail", proposal_id=proposal_id, _anchor="open-questions"))


@bp.route("/proposals/<int:proposal_id>/amend", methods=["POST"])
@roles(*EDITORS)
def amend(proposal_id: int):
    """Start an amendment of a decided proposal, then go to its form."""
    session = db.session()
    proposal = get_proposal(proposal_id)
    try:
        start_amendment(session, proposal, actor=current_db_user(), reason=request.form.get("reason", ""))
    except TransitionError as exc:
        session.rollback()
        return render_detail(proposal_id, 400, str(exc))
    session.commit()
    flash("Amendment started. The decision stays on record; after your changes, re-assess and submit the "
          "proposal for a new decision.")
    return redirect(url_for("proposals.edit", proposal_id=proposal_id))
