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
from riskdesk.engine.labels import field_label, value_label
from riskdesk.engine.report.render import build_context
from riskdesk.engine.scoring import compare, open_fields
from riskdesk.models import Proposal
from riskdesk.proposals import assessments, workflow
from riskdesk.proposals.services import answerable
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


def _control(path: str, document: dict) -> dict | None:
    """How an open question's field is answered in place: kind, choices with their labels, current value."""
    info = answerable(path)
    if info is None:
        return None
    current = document
    for part in path.split("."):
        current = current.get(part) if isinstance(current, dict) else None
    choices = [(v, value_label(path, v)) for v in info.values]
    return {"kind": info.kind, "choices": choices, "current": "" if current is None else current}


def open_question_groups(result: dict, document: dict) -> list[dict]:
    """The open questions by topic (the document's sections), each field once with its questions and control."""
    fields = result.get("open_fields")
    if fields is None:  # a result stored before results carried them
        fields = open_fields((u["question"], u["missing"]) for u in result.get("undetermined", []))
    groups: dict[str, dict] = {}
    for entry in fields:
        path = entry["field"]
        section = path.split(".")[0].removesuffix("[]")
        group = groups.setdefault(section, {"section": section, "title": field_label(section), "fields": []})
        form_id = "document-" + path.replace("[]", "").replace(".", "-")
        group["fields"].append({
            "field": path, "label": field_label(path), "questions": entry["questions"],
            "control": _control(path, document), "input_id": "answer-" + path.replace(".", "-"),
            "form_anchor": form_id if "[]" not in path else "document-" + section,
        })
    return list(groups.values())


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
            question_groups=open_question_groups(result, proposal.document),
        )
    context.update(workflow.detail_context(session, proposal, user_roles))
    if assessment is not None and "approved_with_conditions" in context["next_statuses"]:
        # the conditions the council report suggests, offered in the decision form
        context["suggested_conditions"] = build_context(assessment.facts, assessment.result)["suggested_conditions"]
    context["screening"] = screening.hits_with_decisions(session, assessment.id) if assessment else []
    context["screening_lists"] = screening.active_snapshots(session)
    return context


def render_detail(proposal_id: int, status: int = 200, error: str = ""):
    """The proposal page; with ``error``, a 4xx answer that shows the problem on the page itself."""
    context = page_context(db.session(), get_proposal(proposal_id), current_user.roles)
    return render_template("proposals/detail.html", error=error, **context), status
