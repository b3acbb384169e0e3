"""The proposal workflow: draft → submitted → in review → decided, or withdrawn; mitigations."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from riskdesk.audit import trail
from riskdesk.checklists import releases
from riskdesk.engine.scoring import residual
from riskdesk.models import Mitigation, Proposal, Report, Transition, User
from riskdesk.proposals import assessments
from riskdesk.vocabulary import APPROVED, DECIDED, EDITORS, STATUS_LABELS

_EDITORS = frozenset(EDITORS)
# to_status -> (allowed from statuses, roles that may do it)
TRANSITIONS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "submitted": (("draft",), _EDITORS),
    "in_review": (("submitted",), _EDITORS | {"council"}),
    "approved": (("in_review",), frozenset({"council"})),
    "approved_with_conditions": (("in_review",), frozenset({"council"})),
    "declined": (("in_review",), frozenset({"council"})),
    "withdrawn": (("draft", "submitted", "in_review"), _EDITORS),
    "draft": (("submitted",), _EDITORS),
}


class TransitionError(ValueError):
    pass


def allowed_transitions(proposal: Proposal, user_roles: set[str]) -> list[str]:
    return [to for to, (sources, who) in TRANSITIONS.items() if proposal.status in sources and user_roles & who]


def _check_assessment(session: Session, proposal: Proposal, to_status: str, over_prohibition: bool) -> None:
    """Submitting and deciding need a current assessment; approving over a prohibition needs a confirmation."""
    if to_status != "submitted" and to_status not in DECIDED:
        return
    latest = assessments.latest(proposal)
    if latest is None:
        raise TransitionError("Assess the proposal before submitting it.")
    if assessments.is_stale(session, latest):
        who = "Re-assess the proposal" if to_status == "submitted" else "Staff must re-assess the proposal"
        raise TransitionError(f"{who} before it is {STATUS_LABELS[to_status].lower()}: the proposal or the active "
                              "checklist release changed since the last assessment.")
    if to_status in APPROVED and latest.prohibited and not over_prohibition:
        raise TransitionError("confirm_prohibition: a legal prohibition applies to this proposal. Tick "
                              "“I approve despite the legal prohibition” to record this approval.")


def transition(session: Session, proposal: Proposal, to_status: str, *, actor: User, reason: str,
               conditions: list[str] | None = None, over_prohibition: bool = False) -> Transition:
    """Move ``proposal`` to ``to_status``; ``over_prohibition`` confirms an approval despite a legal prohibition."""
    if to_status not in allowed_transitions(proposal, actor.roles):
        raise TransitionError(f"{actor.username} cannot move a {STATUS_LABELS.get(proposal.status, proposal.status)} "
                              f"proposal to {STATUS_LABELS.get(to_status, to_status)}.")
    if to_status in DECIDED and not reason.strip():
        raise TransitionError("reason: a decision needs a reason.")
    _check_assessment(session, proposal, to_status, over_prohibition)
    if to_status == "approved_with_conditions":
        conditions = [c.strip() for c in conditions or [] if c.strip()]
        if not conditions:
            raise TransitionError("conditions: an approval with conditions needs at least one condition.")
        proposal.conditions = conditions
    elif to_status in DECIDED:
        proposal.conditions = []  # a new decision replaces the conditions of an earlier one
    row = Transition(proposal_id=proposal.id, from_status=proposal.status, to_status=to_status,
                     reason=reason.strip(), by_id=actor.id)
    session.add(row)
    before = proposal.status
    proposal.status = to_status
    trail.record(session, "proposal.transition", actor=actor, object_type="proposal", object_id=proposal.id,
                 summary=f"{before} → {to_status}: {reason.strip()}", before={"status": before},
                 after={"status": to_status, "conditions": proposal.conditions})
    return row


def start_amendment(session: Session, proposal: Proposal, *, actor: User, reason: str) -> Transition:
    """Reopen a decided proposal for changes: back to draft, the decision stays on record.

    The amended proposal needs a new assessment and a new council decision (``transition`` checks both).
    """
    if proposal.status not in DECIDED:
        raise TransitionError("Only a decided proposal needs an amendment; this one can be edited directly.")
    if not actor.roles & _EDITORS:
        raise TransitionError(f"{actor.username} may not amend proposals.")
    if not reason.strip():
        raise TransitionError("reason: say what the amendment is for.")
    row = Transition(proposal_id=proposal.id, from_status=proposal.status, to_status="draft",
                     reason=f"Amendment: {reason.strip()}", by_id=actor.id)
    session.add(row)
    before = proposal.status
    proposal.status = "draft"
    trail.record(session, "proposal.amend", actor=actor, object_type="proposal", object_id=proposal.id,
                 summary=f"Amendment started ({STATUS_LABELS[before]} until a new decision): {reason.strip()}",
                 before={"status": before, "conditions": proposal.conditions}, after={"status": "draft"})
    return row


def amendment_of(session: Session, proposal: Proposal) -> Transition | None:
    """The decision an open proposal amends (None unless it was decided before and is not decided now)."""
    if proposal.status in DECIDED or proposal.status == "withdrawn":
        return None
    return last_decision(session, proposal.id)


def accept_mitigation(session: Session, proposal: Proposal, item_id: str, mitigation: str, note: str, *,
                      actor: User) -> Mitigation:
    latest = assessments.latest(proposal)
    if latest is None or item_id not in {f["id"] for f in latest.result["findings"]}:
        raise TransitionError("item_id: choose a finding of the latest assessment.")
    if not mitigation.strip():
        raise TransitionError("mitigation: say which mitigation was accepted.")
    row = Mitigation(proposal_id=proposal.id, item_id=item_id, mitigation=mitigation.strip(), note=note.strip(),
                     created_by_id=actor.id)
    session.add(row)
    trail.record(session, "finding.mitigate", actor=actor, object_type="proposal", object_id=proposal.id,
                 summary=f"{item_id} mitigated: {mitigation.strip()}", after={"item": item_id, "note": note})
    return row


def mitigations(session: Session, proposal: Proposal) -> list[Mitigation]:
    return list(session.scalars(select(Mitigation).where(Mitigation.proposal_id == proposal.id)
                                .order_by(Mitigation.id)))


def residual_for(session: Session, proposal: Proposal) -> dict | None:
    latest = assessments.latest(proposal)
    rows = mitigations(session, proposal)
    if latest is None or not rows:
        return None
    rated = residual(latest.result, {m.item_id for m in rows}, releases.compiled(latest.release).scoring)
    return {**rated, "mitigated": [{"finding_id": m.item_id, "mitigation": m.mitigation, "note": m.note}
                                   for m in rows]}


def last_decision(session: Session, proposal_id: int) -> Transition | None:
    return session.scalars(select(Transition).where(Transition.proposal_id == proposal_id,
                                                    Transition.to_status.in_(DECIDED))
                           .order_by(Transition.id.desc())).first()


def detail_context(session: Session, proposal: Proposal, user_roles: set[str]) -> dict:
    return {
        "transitions": list(session.scalars(select(Transition).where(Transition.proposal_id == proposal.id)
                                            .order_by(Transition.id))),
        "next_statuses": allowed_transitions(proposal, user_roles),
        "amends": amendment_of(session, proposal),
        "mitigations": mitigations(session, proposal),
        "residual": residual_for(session, proposal),
        "reports": list(session.scalars(select(Report).where(Report.proposal_id == proposal.id)
                                        .order_by(Report.id))),
    }
