"""Assess a stored proposal: screen its parties, score it, keep the result pinned to its release."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from riskdesk.audit import trail
from riskdesk.checklists import releases
from riskdesk.engine.document import DocumentError, validate
from riskdesk.engine.scoring import score
from riskdesk.models import Assessment, ChecklistRelease, Proposal, User
from riskdesk.screening import services as screening
from riskdesk.vocabulary import PARTY_KIND_LABELS


class NotReady(Exception):
    """No checklist release is active, so nothing can be assessed yet."""


def assess_proposal(session: Session, proposal: Proposal, *, actor: User | None = None,
                    on: dt.date | None = None) -> Assessment:
    """Screen the proposal's parties against the active list snapshots, then score it under the active release.

    Raises DocumentError for an incomplete proposal and NotReady when no release is active.
    """
    problems = validate(proposal.document)
    if problems:
        raise DocumentError(problems)
    row = releases.active_release(session)
    if row is None:
        raise NotReady("No checklist release is active; publish one first (python -m riskdesk checklists publish).")
    engine_hits, hit_rows = screening.screen_proposal(session, proposal)
    on = on or dt.date.today()
    result = score(proposal.document, releases.compiled(row), on=on, screening=engine_hits)
    result_data = {**result.to_dict(), "screening": _screening_scope(session, proposal, engine_hits)}
    assessment = Assessment(
        proposal_id=proposal.id, release_id=row.id, proposal_version=proposal.version_id, assessed_on=on,
        created_by_id=actor.id if actor else None, rating=result.rating, prohibited=result.prohibited,
        score=result.score, facts=proposal.document, result=result_data,
    )
    session.add(assessment)
    session.flush()
    for hit_row in hit_rows:
        hit_row.assessment_id = assessment.id
        session.add(hit_row)
    trail.record(session, "proposal.assess", actor=actor, object_type="proposal", object_id=proposal.id,
                 summary=f"Assessed: {result.rating}{' (prohibited)' if result.prohibited else ''}, "
                         f"{len(result.findings)} findings, release {row.hash[:12]}",
                 after={"assessment": assessment.id, "rating": result.rating, "release": row.hash})
    return assessment


def _screening_scope(session: Session, proposal: Proposal, hits: list[dict]) -> dict:
    """What screening covered, kept with the result so the report can say exactly that.

    The same shape as the command line's ``screening`` block: ``{performed, lists, hits}``, plus the
    parties screened and the day when it was performed.
    """
    snapshots = screening.active_snapshots(session)
    if not snapshots:
        return {"performed": False, "lists": [], "hits": []}
    return {"performed": True, "screened_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
            "lists": screening.snapshot_summary(snapshots), "hits": hits,
            "parties": [{"name": p.name, "kind": PARTY_KIND_LABELS.get(p.kind, p.kind)} for p in proposal.parties]}


def latest(proposal: Proposal) -> Assessment | None:
    return proposal.assessments[-1] if proposal.assessments else None


def is_stale(session: Session, assessment: Assessment, active: ChecklistRelease | None = None) -> bool:
    """Out of date when another checklist release is active or the proposal's document changed since.

    The one rule for the page, the portfolio and the report. Status changes (submitted, decided, ...)
    do not count: they change the proposal's row version but not what was assessed.
    """
    row = active or releases.active_release(session)
    return (row is not None and assessment.release_id != row.id) or assessment.facts != assessment.proposal.document


def reassess_stale(session: Session, active: ChecklistRelease, *, actor: User | None,
                   progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Re-assess every open or active proposal last assessed under another release.

    Returns (re-assessed, skipped because incomplete). ``progress(done, total)`` is told after each proposal.
    """
    done = skipped = 0
    proposals = list(releases.open_and_active(session))
    for index, proposal in enumerate(proposals, 1):
        previous = latest(proposal)
        if previous is not None and previous.release_id != active.id:
            if not releases.reassessable(proposal):
                skipped += 1
            else:
                assess_proposal(session, proposal, actor=actor)
                done += 1
        if progress is not None:
            progress(index, len(proposals))
    return done, skipped
