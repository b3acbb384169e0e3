"""Find, create and update proposals: the one place that writes them (views, API and CLI stay thin)."""
from __future__ import annotations

import copy
import math
from typing import Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from riskdesk.audit import trail
from riskdesk.checklists import releases
from riskdesk.engine.document import (
    FieldInfo,
    code_for_name,
    code_named,
    country_codes,
    describe_codes,
    field_registry,
    normalize,
    state_codes,
    validate,
)
from riskdesk.engine.screening.parties import document_parties
from riskdesk.models import Assessment, Party, Proposal, ProposalSector, User, utcnow
from riskdesk.proposals.assessments import assess_proposal
from riskdesk.vocabulary import DECIDED, STATUS_LABELS

DRAFT_TOLERATED = ("is required", "must not be empty", "must be at least 3 characters")


class ConflictError(Exception):
    """Someone else saved the proposal since this editor loaded it."""

    def __init__(self, proposal: Proposal):
        self.proposal = proposal
        super().__init__(f"Proposal {proposal.id} was changed by someone else (now version {proposal.version_id}).")


class ProposalLocked(Exception):
    """A decided proposal is not edited in place: an amendment has to be started first."""

    def __init__(self, proposal: Proposal):
        self.proposal = proposal
        super().__init__(f"Proposal {proposal.id} is {STATUS_LABELS[proposal.status].lower()}: it is locked. "
                         "Start an amendment to change it; the decision stays on record and a new one is needed.")


class DuplicateProposal(Exception):
    """An identical proposal already exists; creating another needs the user's say-so."""

    def __init__(self, existing: Proposal):
        self.existing = existing
        super().__init__(f"Proposal {existing.id} ({existing.title!r}) has exactly the same content.")


def draft_blocking_problems(document: dict) -> list:
    """Problems that even a draft may not be saved with (wrong values, not missing ones)."""
    return [p for p in validate(document) if p.message not in DRAFT_TOLERATED]


def _parties(document: dict) -> list[Party]:
    """The partner, intermediaries, people and vendors the document names (the ones screening checks),
    cut to their columns' lengths."""
    return [Party(kind=p.role, name=p.name[:200], country=p.country[:2], role=p.detail[:200])
            for p in document_parties(document)]


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

    proposal.parties = _parties(document)
    proposal.sectors = [ProposalSector(sector=s) for s in dict.fromkeys(document.get("sectors") or [])]


def find_identical(session: Session, document: dict) -> Proposal | None:
    """An existing proposal whose (normalised) document equals ``document``, if any."""
    document = normalize(document)
    title = (document.get("title") or "").strip()[:200] or "(untitled draft)"
    partner_name = ((document.get("partner") or {}).get("name") or "")[:200]
    candidates = session.scalars(select(Proposal).where(Proposal.title == title, Proposal.partner_name == partner_name)
                                 .order_by(Proposal.id))
    return next((p for p in candidates if p.document == document), None)


def create_proposal(session: Session, document: dict, *, actor: User | None = None, how: str = "form",
                    allow_duplicate: bool = False) -> Proposal:
    """Store a new proposal; raises DuplicateProposal if an identical one exists, unless ``allow_duplicate``."""
    document = normalize(document)
    if not allow_duplicate:
        existing = find_identical(session, document)
        if existing is not None:
            raise DuplicateProposal(existing)
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
    """Save ``document`` unless the proposal changed since ``expected_version`` (optimistic locking).

    A decided proposal is locked (ProposalLocked): ``workflow.start_amendment`` reopens it.
    """
    if proposal.version_id != expected_version:
        raise ConflictError(proposal)
    if proposal.status in DECIDED:
        raise ProposalLocked(proposal)
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


PLACE_FILTERS = {"state": ("state", "City state", state_codes), "country": ("country", "Partner country", country_codes)}


def place_code(name: str, text: str) -> tuple[str, str]:
    """A list filter's state or country as a code: "TN" stays, "Tennessee" becomes "TN" (with a note saying so).

    Text that is neither a code nor a name filters on nothing matching and says which codes it might mean.
    """
    kind, label, codes = PLACE_FILTERS[name]
    if text.upper() in codes():
        return text.upper(), ""
    exact = code_named(kind, text)
    if exact:
        return exact, f"{label} “{text}” read as {describe_codes(kind, [exact])}."
    found = code_for_name(kind, text)
    if found:
        return text, f"No {kind} code “{text}”: did you mean {describe_codes(kind, found)}?"
    return text, f"No {kind} code “{text}” and no {kind} with a name like it."


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
    notes = []
    for name, column in LIST_FILTERS.items():
        value = (args.get(name) or "").strip()[:100]
        if value and name in PLACE_FILTERS:
            value, note = place_code(name, value)
            if note:
                notes.append(note)
        if value:
            query = query.where(column == value)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    try:
        page = min(max(int(args.get("page") or 1), 1), pages)
    except ValueError:
        page = 1
    rows = session.scalars(query.options(defer(Proposal.document), selectinload(Proposal.assessments).load_only(
        Assessment.id, Assessment.proposal_id, Assessment.rating)).order_by(Proposal.updated_at.desc(), Proposal.id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return {"proposals": rows, "total": total, "page": page, "pages": pages, "filter_notes": notes}


class AnswerError(ValueError):
    """Answers given in place that the schema refuses; ``problems`` names each field."""

    def __init__(self, problems: list):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


ANSWERABLE_KINDS = ("tristate", "enum", "number", "string", "text", "country")


def answerable(path: str) -> FieldInfo | None:
    """The field behind an open question, if it can be answered with one control on the proposal page."""
    info = field_registry().get(path)
    return info if info is not None and not info.repeated and info.kind in ANSWERABLE_KINDS else None


def _typed(info: FieldInfo, text: str):
    if info.kind == "number":
        try:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return text  # the schema names the problem ("'lots' is not of type integer or null")
    return text.upper() if info.kind == "country" else text


def apply_answers(document: dict, answers: Mapping[str, str]) -> tuple[dict, list[str]]:
    """A copy of ``document`` with the given answers; returns it and the paths that changed.

    Blank answers and answers equal to what is stored change nothing; unknown field paths are ignored.
    """
    updated = copy.deepcopy(document)
    changed = []
    for path, raw in answers.items():
        info = answerable(path)
        text = (raw or "").strip()
        if info is None or not text:
            continue
        value = _typed(info, text)
        *parents, leaf = path.split(".")
        node = updated
        for part in parents:
            node = node.setdefault(part, {})
        if node.get(leaf) != value:
            node[leaf] = value
            changed.append(path)
    return updated, changed


def answer_questions(session: Session, proposal: Proposal, answers: Mapping[str, str], *, expected_version: int,
                     actor: User | None = None) -> tuple[list[str], Assessment | None]:
    """Save answers given on the proposal page (one version-checked, audited update), then re-assess.

    Raises AnswerError for a refused value, ConflictError/ProposalLocked as ``update_proposal`` does.
    Returns the changed field paths and the new assessment (None when nothing changed).
    """
    if proposal.status in DECIDED:
        raise ProposalLocked(proposal)
    document, changed = apply_answers(proposal.document, answers)
    if not changed:
        return [], None
    problems = [p for p in validate(document) if p.path in changed]
    if problems:
        raise AnswerError(problems)
    update_proposal(session, proposal, document, expected_version=expected_version, actor=actor)
    return changed, assess_proposal(session, proposal, actor=actor)


def save_document(session: Session, proposal: Proposal | None, document: dict, *, expected_version: int = 0,
                  actor: User | None = None, check: bool = False, allow_duplicate: bool = False,
                  how: str = "form") -> tuple[Proposal, Assessment | None]:
    """Create or update a proposal from the intake form; with ``check`` ("Save and check"), also assess it."""
    if proposal is None:
        proposal = create_proposal(session, document, actor=actor, how=how, allow_duplicate=allow_duplicate)
    else:
        update_proposal(session, proposal, document, expected_version=expected_version, actor=actor)
    if check and proposal.is_complete and releases.active_release(session) is not None:
        return proposal, assess_proposal(session, proposal, actor=actor)
    return proposal, None
