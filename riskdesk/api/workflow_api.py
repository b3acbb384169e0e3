"""Workflow transitions and decisions, mitigations, screening hits and their adjudication."""
from __future__ import annotations

from flask import request
from sqlalchemy import select

from riskdesk import db
from riskdesk.api import schemas
from riskdesk.api.base import ApiProblem, actor, bp, get_or_problem, responses, spec
from riskdesk.api.problems import field_problems, invalid
from riskdesk.api.proposals_api import latest_or_problem
from riskdesk.models import Proposal, ScreeningHit, Transition
from riskdesk.proposals import workflow
from riskdesk.screening import services as screening
from riskdesk.users.access import roles
from riskdesk.vocabulary import EDITORS, ROLES

TAG = "workflow"


def _refusal(exc: Exception) -> ApiProblem:
    """A service's "field: message" refusal is a 422 on that field; any other is a 409 (wrong state or role)."""
    problem = field_problems([str(exc)])[0]
    return invalid([str(exc)]) if problem["path"] else ApiProblem(409, str(exc))


def transition_body(row: Transition) -> schemas.TransitionOut:
    return schemas.TransitionOut(id=row.id, from_status=row.from_status, to_status=row.to_status, reason=row.reason,
                                 at=row.at, by=row.by.username if row.by else "")


@bp.get("/proposals/<int:proposal_id>/transitions")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.TransitionList}, 404), tags=[TAG])
def list_transitions(proposal_id: int):
    """The proposal's status history and the statuses the caller may move it to now."""
    session = db.session()
    proposal = get_or_problem(Proposal, proposal_id, "proposal")
    rows = session.scalars(select(Transition).where(Transition.proposal_id == proposal.id).order_by(Transition.id))
    return schemas.TransitionList(status=proposal.status, conditions=proposal.conditions or [],
                                  next_statuses=workflow.allowed_transitions(proposal, actor().roles),
                                  transitions=[transition_body(r) for r in rows])


@bp.post("/proposals/<int:proposal_id>/transitions")
@roles(*ROLES)
@spec.validate(json=schemas.TransitionIn, resp=responses({"HTTP_201": schemas.TransitionOut}, 400, 404, 409, 415, 422),
               tags=[TAG])
def create_transition(proposal_id: int):
    """Move the proposal on (submit, review, decide, withdraw); a decision needs a reason."""
    body: schemas.TransitionIn = request.context.json
    session = db.session()
    proposal = get_or_problem(Proposal, proposal_id, "proposal")
    try:
        row = workflow.transition(session, proposal, body.to_status, actor=actor(), reason=body.reason,
                                  conditions=body.conditions)
        session.flush()
    except workflow.TransitionError as exc:
        session.rollback()
        raise _refusal(exc) from None
    session.commit()
    return transition_body(row), 201


def mitigation_list(session, proposal: Proposal) -> schemas.MitigationList:
    return schemas.MitigationList(
        mitigations=[schemas.MitigationOut(id=m.id, item_id=m.item_id, mitigation=m.mitigation, note=m.note,
                                           created_at=m.created_at) for m in workflow.mitigations(session, proposal)],
        residual=workflow.residual_for(session, proposal))


@bp.get("/proposals/<int:proposal_id>/mitigations")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.MitigationList}, 404), tags=[TAG])
def list_mitigations(proposal_id: int):
    """Accepted mitigations and the residual rating without the mitigated findings."""
    session = db.session()
    return mitigation_list(session, get_or_problem(Proposal, proposal_id, "proposal"))


@bp.post("/proposals/<int:proposal_id>/mitigations")
@roles(*EDITORS)
@spec.validate(json=schemas.MitigationIn, resp=responses({"HTTP_201": schemas.MitigationList}, 400, 404, 409, 415,
                                                          422), tags=[TAG])
def accept_mitigation(proposal_id: int):
    """Record that a mitigation was accepted for a finding of the latest assessment."""
    body: schemas.MitigationIn = request.context.json
    session = db.session()
    proposal = get_or_problem(Proposal, proposal_id, "proposal")
    try:
        workflow.accept_mitigation(session, proposal, body.item_id, body.mitigation, body.note, actor=actor())
        session.flush()
    except workflow.TransitionError as exc:
        session.rollback()
        raise _refusal(exc) from None
    session.commit()
    return mitigation_list(session, proposal), 201


def hit_body(hit: ScreeningHit, decision) -> schemas.Hit:
    return schemas.Hit(id=hit.id, query=hit.query, role=hit.role, list_source=hit.list_source,
                       matched_name=hit.matched_name, entry_uid=hit.entry_uid, score=hit.score, why=hit.why,
                       adjudication=None if decision is None else schemas.AdjudicationOut(
                           verdict=decision.verdict, note=decision.note, by=decision.by_name, at=decision.at))


@bp.get("/proposals/<int:proposal_id>/hits")
@roles(*ROLES)
@spec.validate(resp=responses({"HTTP_200": schemas.HitList}, 404), tags=["screening"])
def list_hits(proposal_id: int):
    """Screening hits of the latest assessment, strongest first, each with its latest decision."""
    latest = latest_or_problem(proposal_id)
    pairs = screening.hits_with_decisions(db.session(), latest.id)
    return schemas.HitList(assessment_id=latest.id, hits=[hit_body(h, d) for h, d in pairs])


@bp.post("/hits/<int:hit_id>/adjudication")
@roles(*EDITORS)
@spec.validate(json=schemas.AdjudicationIn, resp=responses({"HTTP_201": schemas.Hit}, 400, 404, 415, 422),
               tags=["screening"])
def adjudicate(hit_id: int):
    """Decide a hit: a true match, or a false positive (quiet until the list entry changes)."""
    body: schemas.AdjudicationIn = request.context.json
    session = db.session()
    hit = get_or_problem(ScreeningHit, hit_id, "screening hit")
    try:
        decision = screening.adjudicate(session, hit, body.verdict, body.note, actor=actor())
        session.flush()
    except ValueError as exc:
        session.rollback()
        raise invalid([str(exc)]) from None
    session.commit()
    return hit_body(hit, decision), 201
