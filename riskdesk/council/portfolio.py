"""The council's pages: what awaits a decision, recent decisions, and the portfolio with review dates."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from riskdesk.checklists import releases
from riskdesk.models import Proposal, Transition
from riskdesk.proposals import assessments, workflow
from riskdesk.screening import services as screening
from riskdesk.vocabulary import APPROVED, AWAITING_DECISION, DECIDED


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def next_review(decided_on: dt.date, duration_years: int | None, scheduled: dt.date | None,
                today: dt.date | None = None) -> tuple[dt.date, str]:
    """When a partnership is next due for review: a scheduled date, its renewal, or its yearly anniversary."""
    today = today or dt.date.today()
    if scheduled and scheduled >= today:
        return scheduled, "scheduled"
    anniversary = _add_years(decided_on, 1)
    while anniversary < today:
        anniversary = _add_years(anniversary, 1)
    if duration_years:
        renewal = _add_years(decided_on, duration_years)
        if today <= renewal <= anniversary:
            return renewal, "renewal"
    return anniversary, "anniversary of the decision"


def _decision_dates(session: Session, proposal_ids: list[int]) -> dict[int, dt.datetime]:
    """The time of each proposal's latest decision, in one query."""
    if not proposal_ids:
        return {}
    rows = session.execute(select(Transition.proposal_id, func.max(Transition.at))
                           .where(Transition.proposal_id.in_(proposal_ids), Transition.to_status.in_(DECIDED))
                           .group_by(Transition.proposal_id))
    return dict(rows.all())


def council_overview(session: Session) -> dict:
    load = selectinload(Proposal.assessments)
    awaiting = session.scalars(select(Proposal).options(load).where(Proposal.status.in_(AWAITING_DECISION))
                               .order_by(Proposal.updated_at)).all()
    decided = session.scalars(select(Proposal).options(load).where(Proposal.status.in_(DECIDED))
                              .order_by(Proposal.updated_at.desc()).limit(50)).all()
    approved = session.scalars(select(Proposal).options(load).where(Proposal.status.in_(APPROVED))
                               .order_by(Proposal.title)).all()
    decided_at = _decision_dates(session, [p.id for p in approved])
    active = releases.active_release(session)
    portfolio = []
    for proposal in approved:
        latest = assessments.latest(proposal)
        decided_on = decided_at.get(proposal.id) or proposal.updated_at
        review_on, why = next_review(decided_on.date(), (proposal.document.get("agreement") or {}).get("duration_years"),
                                     proposal.next_review_on)
        portfolio.append({
            "proposal": proposal, "assessment": latest, "next_review": review_on, "review_reason": why,
            "stale": latest is None or assessments.is_stale(session, latest, active),
        })
    return {"awaiting": awaiting, "decided": decided, "portfolio": portfolio,
            "amendments": amendments(session), "watch_hits": screening.open_watch_hits(session)}


def amendments(session: Session) -> list[dict]:
    """Open proposals that amend an earlier decision, with that decision (it stays on record until a new one)."""
    decided_before = select(Transition.proposal_id).where(Transition.to_status.in_(DECIDED))
    rows = session.scalars(select(Proposal).where(Proposal.status.in_(("draft",) + AWAITING_DECISION),
                                                  Proposal.id.in_(decided_before)).order_by(Proposal.updated_at))
    return [{"proposal": p, "decision": workflow.last_decision(session, p.id)} for p in rows]
