"""Proposals: list, create, read, update (If-Match on the version), validate, assess, assessments."""
from __future__ import annotations

from flask import request, url_for
from sqlalchemy.orm.exc import StaleDataError

from riskdesk import db
from riskdesk.api import schemas
from riskdesk.api.base import ApiProblem, actor, bp, get_or_problem, per_page_cap, responses, spec
from riskdesk.api.problems import field_problems, invalid
from riskdesk.engine.document import DocumentError, validate
from riskdesk.models import Assessment, Proposal
from riskdesk.proposals import assessments, services, workflow
from riskdesk.users.access import roles
from riskdesk.vocabulary import EDITORS, ROLES

TAG = "proposals"


def etag(proposal: Proposal) -> str:
    return f'"{proposal.version_id}"'


def summary(proposal: Proposal, rating: str | None) -> dict:
    return {"id": proposal.id, "title": proposal.title, "city_name": proposal.city_name,
            "city_state": proposal.city_state, "partner_name": proposal.partner_name,
            "partner_country": proposal.partner_country, "agreement_type": proposal.agreement_type,
            "status": proposal.status, "is_complete": proposal.is_complete, "version": proposal.version_id,
            "updated_at": proposal.updated_at, "rating": rating}


def proposal_body(proposal: Proposal) -> schemas.Proposal:
    latest = assessments.latest(proposal)
    return schemas.Proposal(**summary(proposal, latest.rating if latest else None), document=proposal.document,
                            conditions=proposal.conditions or [],
                            next_statuses=workflow.allowed_transitions(proposal, actor().roles))


def with_etag(proposal: Proposal, status: int = 200):
    headers = {"ETag": etag(proposal)}
    if status == 201:
        headers["Location"] = url_for("api.get_proposal", proposal_id=proposal.id)
    return proposal_body(proposal), status, headers


def assessment_body(session, row: Assessment) -> schemas.Assessment:
    return schemas.Assessment(id=row.id, proposal_id=row.proposal_id, proposal_version=row.proposal_version,
                              checklist_release=row.release.hash, assessed_on=row.assessed_on, rating=row.rating,
                              prohibited=row.prohibited, score=row.score, stale=assessments.is_stale(session, row),
                              result=row.result)


def _problems_of(document: dict, draft: bool) -> list:
    return services.draft_blocking_problems(document) if draft else validate(document)


@bp.get("/proposals")
@roles(*ROLES)
@spec.validate(query=schemas.ProposalQuery, resp=responses({"HTTP_200": schemas.ProposalList}, 422), tags=[TAG])
def list_proposals():
    """List proposals (newest first) with the same filters and pages as the proposals page."""
    query: schemas.ProposalQuery = request.context.query
    per_page = min(query.per_page, per_page_cap())
    listing = services.search(db.session(), query.model_dump(exclude_none=True), per_page=per_page)
    rows = [schemas.ProposalSummary(**summary(p, p.assessments[-1].rating if p.assessments else None))
            for p in listing["proposals"]]
    return schemas.ProposalList(proposals=rows, total=listing["total"], page=listing["page"],
                                pages=listing["pages"], per_page=per_page)


@bp.post("/proposals")
@roles(*EDITORS)
@spec.validate(json=schemas.IntakeDocument, query=schemas.DraftFlag,
               resp=responses({"HTTP_201": schemas.Proposal}, 400, 409, 413, 415, 422), tags=[TAG])
def create_proposal():
    """Create a proposal from an intake document; `?draft=true` saves one with answers still missing.

    409 when an identical proposal exists already (the pages ask before creating a duplicate; the API
    refuses and names the existing one).
    """
    document = request.get_json()
    problems = _problems_of(document, request.context.query.draft)
    if problems:
        raise invalid(problems)
    session = db.session()
    try:
        proposal = services.create_proposal(session, document, actor=actor(), how="API")
    except services.DuplicateProposal as exc:
        session.rollback()
        raise ApiProblem(409, str(exc)) from None
    session.commit()
    return with_etag(proposal, 201)


@bp.get("/proposals/<int:proposal_id>")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.Proposal}, 404), tags=[TAG])
def get_proposal(proposal_id: int):
    """Read a proposal and its intake document; the ETag is its version, for If-Match on update."""
    return with_etag(get_or_problem(Proposal, proposal_id, "proposal"))


def _expected_version() -> int:
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise ApiProblem(428, "Send the version you edited as If-Match (the ETag of GET /proposals/{id}).",
                         [{"path": "If-Match", "message": "is required"}])
    value = header.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ApiProblem(400, "If-Match must be the proposal's ETag, e.g. \"3\".",
                         [{"path": "If-Match", "message": "must be a version ETag such as \"3\""}])
    return int(value)


@bp.put("/proposals/<int:proposal_id>")
@roles(*EDITORS)
@spec.validate(json=schemas.IntakeDocument, query=schemas.DraftFlag,
               resp=responses({"HTTP_200": schemas.Proposal}, 400, 404, 409, 412, 413, 415, 422, 428), tags=[TAG])
def update_proposal(proposal_id: int):
    """Replace the intake document. 412 when the version in If-Match is not the current one (nothing saved)."""
    session = db.session()
    proposal = get_or_problem(Proposal, proposal_id, "proposal")
    expected = _expected_version()
    document = request.get_json()
    problems = _problems_of(document, request.context.query.draft)
    if problems:
        raise invalid(problems)
    try:
        services.update_proposal(session, proposal, document, expected_version=expected, actor=actor())
        session.commit()
    except services.ProposalLocked as exc:
        session.rollback()
        raise ApiProblem(409, str(exc)) from None
    except (services.ConflictError, StaleDataError):
        session.rollback()
        current = session.get(Proposal, proposal_id)
        raise ApiProblem(412, f"Proposal {proposal_id} was changed by someone else (now version "
                              f"{current.version_id}); nothing was saved. Read it again and re-apply your change.",
                         headers={"ETag": etag(current)}) from None
    return with_etag(proposal)


@bp.post("/proposals/validate")
@roles(*ROLES)
@spec.validate(json=schemas.DocumentToCheck, resp=responses({"HTTP_200": schemas.Validation}, 400, 413, 415, 422),
               tags=[TAG])
def validate_document():
    """Check an intake document without saving it: every problem with its field path."""
    problems = field_problems(validate(request.get_json()))
    return schemas.Validation(valid=not problems, problems=problems)


@bp.post("/proposals/<int:proposal_id>/assess")
@roles(*EDITORS)
@spec.validate(resp=responses({"HTTP_201": schemas.Assessment}, 404, 409, 415, 422), tags=[TAG])
def assess(proposal_id: int):
    """Screen and score the proposal under the active release (the result JSON is the CLI's `assess`)."""
    session = db.session()
    proposal = get_or_problem(Proposal, proposal_id, "proposal")
    try:
        row = assessments.assess_proposal(session, proposal, actor=actor())
    except DocumentError as exc:
        session.rollback()
        raise invalid(exc.problems, detail="The proposal cannot be assessed until it is complete: "
                      + "; ".join(map(str, exc.problems))) from None
    except assessments.NotReady as exc:
        raise ApiProblem(409, str(exc)) from None
    session.commit()
    return assessment_body(session, row), 201


@bp.get("/proposals/<int:proposal_id>/assessments")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.AssessmentList}, 404), tags=[TAG])
def list_assessments(proposal_id: int):
    """Every assessment of the proposal, oldest first."""
    session = db.session()
    proposal = get_or_problem(Proposal, proposal_id, "proposal")
    return schemas.AssessmentList(assessments=[assessment_body(session, a) for a in proposal.assessments])


@bp.get("/assessments/<int:assessment_id>")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.Assessment}, 404), tags=[TAG])
def get_assessment(assessment_id: int):
    """One assessment with its full result."""
    return assessment_body(db.session(), get_or_problem(Assessment, assessment_id, "assessment"))


def latest_or_problem(proposal_id: int) -> Assessment:
    proposal = get_or_problem(Proposal, proposal_id, "proposal")
    latest = assessments.latest(proposal)
    if latest is None:
        raise ApiProblem(404, f"Proposal {proposal_id} has not been assessed yet.")
    return latest


@bp.get("/proposals/<int:proposal_id>/findings")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.Findings}, 404), tags=[TAG])
def findings(proposal_id: int):
    """The findings of the latest assessment, each with its reasons and cited sources."""
    latest = latest_or_problem(proposal_id)
    return schemas.Findings(assessment_id=latest.id, findings=latest.result.get("findings", []))


@bp.get("/proposals/<int:proposal_id>/open-questions")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.OpenQuestions}, 404), tags=[TAG])
def open_questions(proposal_id: int):
    """What the latest assessment could not decide; answer by updating the document and assessing again."""
    latest = latest_or_problem(proposal_id)
    return schemas.OpenQuestions(assessment_id=latest.id, open_questions=latest.result.get("open_questions", []))

