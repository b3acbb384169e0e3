"""Find, create and update proposals: the one place that writes them (views, API and CLI stay thin)."""
from __future__ import annotations

import math
from typing import Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from riskdesk.audit import trail
from riskdesk.engine.document import normalize, validate
from riskdesk.models import Assessment, Party, Proposal, ProposalSector, User, utcnow

DRAFT_TOLERATED = ("is required", "must not be empty", "must be at least 3 characters")


class ConflictError(Exception):
    """Someone else saved the proposal since this editor loaded it."""

    def __init__(self, proposal: Proposal):
        self.proposal = proposal
        super().__init__(f"Proposal {proposal.id} was changed by someone else (now version {proposal.version_id}).")


def draft_blocking_problems(document: dict) -> list:
    """Problems that even a draft may not be saved with (wrong values, not missing ones)."""
    return [p for p in validate(document) if p.message not in DRAFT_TOLERATED]


def _sync_columns(proposal: Proposal, document: dict) -> None:
    city = document.get("city") or {}
    partner = document.get("partner") or {}
    agreement = document.get("agreement") or {}
    proposal.title = (document.get("title") or "").strip()[:200] or "(untitled draft)"
    proposal.city_name = (city.get("name") or "")[:120]
    proposal.city_state = (city.get("state") or "")[:2]
    proposal.partner_name = (partner.get("name") or "")[:200]
    proposal.partner_country = (partner.get("country") or "")[:2]
    proposal.agreement_type = agreement.get("type") or ""
    proposal.agreement_status = agreement.get("status") or "new"
    proposal.is_complete = not validate(document)

    parties = [Party(kind="partner", name=proposal.partner_name, country=proposal.partner_country,
                     role=partner.get("kind", ""))] if proposal.partner_name else []
    parties += [Party(kind="intermediary", name=row.get("name", ""), country=row.get("country", ""),
                      role=row.get("role", "")) for row in document.get("intermediaries") or [] if row.get("name")]
    parties += [Party(kind="person", name=row.get("name", ""), country=row.get("country", ""),
                      role=row.get("role", "")) for row in document.get("people") or [] if row.get("name")]
    parties += [Party(kind="vendor", name=name) for name in
                (document.get("data_and_technology") or {}).get("vendors") or [] if name]
    proposal.parties = parties
    proposal.sectors = [ProposalSector(sector=s) for s in dict.fromkeys(document.get("sectors") or [])]


def create_proposal(session: Session, document: dict, *, actor: User | None = None, how: str = "form") -> Proposal:
    document = normalize(document)
    proposal = Proposal(document=document, created_by_id=actor.id if actor else None,
                        updated_by_id=actor.id if actor else None)
    _sync_columns(proposal, document)
    session.add(proposal)
    session.flush()
    trail.record(session, "proposal.create", actor=actor, object_type="proposal", object_id=proposal.id,
                 summary=f"Created {proposal.title!r} ({how})", after=document)
    return proposal


def update_proposal(session: Session, proposal: Proposal, document: dict, *, expected_version: int,
                    actor: User | None = None) -> Proposal:
    """Save ``document`` unless the proposal changed since ``expected_version`` (optimistic locking)."""
    if proposal.version_id != expected_version:
        raise ConflictError(proposal)
    document = normalize(document)
    before = proposal.document
    proposal.document = document
    proposal.updated_at = utcnow()
    proposal.updated_by_id = actor.id if actor else None
    _sync_columns(proposal, document)
    changed = sorted({k for k in set(before) | set(document) if before.get(k) != document.get(k)})
    trail.record(session, "proposal.edit", actor=actor, object_type="proposal", object_id=proposal.id,
                 summary=f"Edited {', '.join(changed) or 'nothing'}",
                 before={k: before.get(k) for k in changed}, after={k: document.get(k) for k in changed})
    session.flush()  # the version check in SQL catches a race between load and save
    return proposal


LIST_FILTERS = {"state": Proposal.city_state, "country": Proposal.partner_country,
                "type": Proposal.agreement_type, "status": Proposal.status}


def search(session: Session, args: Mapping[str, str], *, per_page: int) -> dict:
    """One page of proposals matching the list filters (text, state, country, type, status), newest first."""
    query = select(Proposal)
    text = (args.get("q") or "").strip()[:100]
    if text:
        needle = text.lower()  # autoescape: "%" and "_" are searched for literally, not as wildcards
        query = query.where(or_(*(func.lower(column).contains(needle, autoescape=True)
                                  for column in (Proposal.title, Proposal.partner_name, Proposal.city_name))))
    for name, column in LIST_FILTERS.items():
        value = (args.get(name) or "").strip()
        if value:
            query = query.where(column == (value.upper() if name in ("state", "country") else value))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    try:
        page = min(max(int(args.get("page") or 1), 1), pages)
    except ValueError:
        page = 1
    rows = session.scalars(query.options(defer(Proposal.document), selectinload(Proposal.assessments).load_only(
        Assessment.id, Assessment.proposal_id, Assessment.rating)).order_by(Proposal.updated_at.desc(), Proposal.id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return {"proposals": rows, "total": total, "page": page, "pages": pages}
