"""Run the engine on a stored proposal and keep the result pinned to its checklist release."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from riskdesk import audit, releases
from riskdesk.intake.document import DocumentError, validate
from riskdesk.models import Assessment, FindingRecord, Proposal, User
from riskdesk.scoring import rate, score


class NotReady(Exception):
    pass


def assess(session: Session, proposal: Proposal, *, actor: User | None = None, on: dt.date | None = None,
           screening: list[dict] | None = None, screening_records: list | None = None) -> Assessment:
    problems = validate(proposal.document)
    if problems:
        raise DocumentError(problems)
    row = releases.active_release(session)
    if row is None:
        raise NotReady("No checklist release is active; publish one first (python -m riskdesk checklists publish).")
    on = on or dt.date.today()
    result = score(proposal.document, releases.compiled(row), on=on, screening=screening or ())
    data = result.to_dict()
    assessment = Assessment(
        proposal_id=proposal.id, release_id=row.id, proposal_version=proposal.version_id, assessed_on=on,
        created_by_id=actor.id if actor else None, rating=result.rating, prohibited=result.prohibited,
        score=result.score, facts=proposal.document, result=data,
        findings=[FindingRecord(item_id=f.id, category=f.category, effect=f.effect, severity=f.severity,
                                title=f.title[:300]) for f in result.findings],
    )
    session.add(assessment)
    session.flush()
    for record in screening_records or ():
        record.assessment_id = assessment.id
        session.add(record)
    audit.record(session, "proposal.assess", actor=actor, object_type="proposal", object_id=proposal.id,
                 summary=f"Assessed: {result.rating}{' (prohibited)' if result.prohibited else ''}, "
                         f"{len(result.findings)} findings, release {row.hash[:12]}",
                 after={"assessment": assessment.id, "rating": result.rating, "release": row.hash})
    return assessment


def latest(proposal: Proposal) -> Assessment | None:
    return proposal.assessments[-1] if proposal.assessments else None


def is_stale(session: Session, assessment: Assessment) -> bool:
    """Stale when a newer release is active or the proposal changed since it was assessed."""
    row = releases.active_release(session)
    return (row is not None and assessment.release_id != row.id) or \
        assessment.proposal_version != assessment.proposal.version_id


def compare(old: dict, new: dict) -> dict:
    """What changed between two results: new, gone and changed findings, and the ratings."""
    before = {f["id"]: f for f in old.get("findings", [])}
    after = {f["id"]: f for f in new.get("findings", [])}
    changed = [
        {"id": k, "before": before[k], "after": after[k]}
        for k in before.keys() & after.keys()
        if (before[k]["severity"], before[k]["effect"], before[k]["because"]) !=
           (after[k]["severity"], after[k]["effect"], after[k]["because"])
    ]
    return {
        "rating": (old.get("rating"), new.get("rating")),
        "prohibited": (old.get("prohibited"), new.get("prohibited")),
        "new": [after[k] for k in after.keys() - before.keys()],
        "gone": [before[k] for k in before.keys() - after.keys()],
        "changed": sorted(changed, key=lambda c: c["id"]),
    }


def residual(result: dict, mitigated_ids: set[str], scoring) -> dict:
    """The rating once accepted mitigations take their findings out (prohibitions never drop out)."""
    remaining = [f for f in result["findings"] if f["id"] not in mitigated_ids or f["effect"] == "prohibition"]
    return rate(remaining, scoring)
