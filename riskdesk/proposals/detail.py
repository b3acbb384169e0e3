"""The proposal page, shared by every action that answers on it (assess, transition, mitigate, adjudicate).

``page_context`` assembles what the page shows from the services; ``render_detail`` renders it,
with an optional error shown on the page itself for a refused action.
"""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import Session

from riskdesk import db
from riskdesk.engine.document import validate
from riskdesk.engine.scoring import compare
from riskdesk.models import Proposal
from riskdesk.proposals import assessments, workflow
from riskdesk.screening import services as screening
from riskdesk.vocabulary import by_weight, is_legal_bar
from riskdesk.web import get_proposal


def grouped_findings(findings: list[dict]) -> dict[str, list[dict]]:
    """Findings other than legal bars, by category, heaviest first (legal bars have their own section)."""
    groups: dict[str, list[dict]] = {}
    for finding in by_weight(findings):
        if not is_legal_bar(finding):
            groups.setdefault(finding["category"], []).append(finding)
    return groups


def page_context(session: Session, proposal: Proposal, user_roles: set[str]) -> dict:
    assessment = assessments.latest(proposal)
    context = {"proposal": proposal, "assessment": assessment, "problems": validate(proposal.document)}
    if assessment is not None:
        result = assessment.result
        context.update(
            result=result,
            legal=by_weight(f for f in result["findings"] if is_legal_bar(f)),
            groups=grouped_findings(result["findings"]),
            stale=assessments.is_stale(session, assessment),
            changes=(compare(proposal.assessments[-2].result, result) if len(proposal.assessments) > 1 else None),
        )
    context.update(workflow.detail_context(session, proposal, user_roles))
    context["screening"] = screening.hits_with_decisions(session, assessment.id) if assessment else []
    context["screening_lists"] = screening.active_snapshots(session)
    return context


def render_detail(proposal_id: int, status: int = 200, error: str = ""):
    """The proposal page; with ``error``, a 4xx answer that shows the problem on the page itself."""
    context = page_context(db.session(), get_proposal(proposal_id), current_user.roles)
    return render_template("proposals/detail.html", error=error, **context), status
