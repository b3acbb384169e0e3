"""Checklist releases in the database: publish, activate, roll back, preview impact."""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from riskdesk import db
from riskdesk.audit import trail
from riskdesk.engine.checklists import Release, build_release, read_directory
from riskdesk.engine.document import validate
from riskdesk.engine.scoring import compare, score
from riskdesk.models import ChecklistRelease, Proposal, User
from riskdesk.vocabulary import OPEN_AND_ACTIVE


@lru_cache(maxsize=16)
def _compiled(content_hash: str, files: tuple[tuple[str, str], ...]) -> Release:
    return build_release(dict(files))


def compiled(row: ChecklistRelease) -> Release:
    """The compiled release of a stored row (cached by content hash: releases are immutable)."""
    return _compiled(row.hash, tuple(sorted(row.files.items())))


def active_release(session: Session) -> ChecklistRelease | None:
    """The one active release (the schema allows at most one; newest first should an old database hold more)."""
    return session.scalars(select(ChecklistRelease).where(ChecklistRelease.active.is_(True))
                           .order_by(ChecklistRelease.id.desc())).first()


def publish(session: Session, files: dict[str, str], *, actor: User | None = None, note: str = "") -> ChecklistRelease:
    """Validate ``files`` (raises ChecklistError, leaving the active release untouched), then make it active.

    Publishes run one at a time (``db.serialise``): two at once would otherwise both switch the old
    release off and each switch its own on. The schema's partial unique index refuses a second active row.
    """
    release = build_release(files)
    db.serialise(session, "checklist_release")
    row = session.scalars(select(ChecklistRelease).where(ChecklistRelease.hash == release.hash)).first()
    previous = active_release(session)
    if row is None:
        row = ChecklistRelease(hash=release.hash, files=dict(files), item_count=len(release.items), note=note,
                               created_by_id=actor.id if actor else None)
        session.add(row)
        session.flush()
    if previous is not None and previous.id == row.id:
        return row
    session.execute(update(ChecklistRelease).where(ChecklistRelease.active.is_(True)).values(active=False))
    row.active = True
    trail.record(session, "checklist.publish", actor=actor, object_type="checklist_release", object_id=row.id,
                 summary=f"Release {row.hash[:12]} active ({row.item_count} items). {note}".strip(),
                 before={"release": previous.hash if previous else None}, after={"release": row.hash})
    return row


def publish_directory(session: Session, directory: str | Path, *, actor: User | None = None,
                      note: str = "") -> ChecklistRelease:
    return publish(session, read_directory(directory), actor=actor, note=note)


def open_and_active(session: Session):
    return session.scalars(select(Proposal).where(Proposal.status.in_(OPEN_AND_ACTIVE)).order_by(Proposal.id))


def reassessable(proposal: Proposal) -> bool:
    """What "Re-assess" touches after a publish: proposals assessed before and complete now."""
    return bool(proposal.assessments) and not validate(proposal.document)


def reassessable_count(session: Session) -> int:
    """How many proposals "Re-assess" will re-assess once a different release is active."""
    return sum(1 for proposal in open_and_active(session) if reassessable(proposal))


def impact(session: Session, files: dict[str, str],
           progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """Re-score every complete open and active proposal under the active and the draft release; list differences.

    Each change says whether "Re-assess" after publishing will pick it up (``reassessed``: assessed before);
    the others change when they are first assessed.

    Raises ChecklistError for a malformed draft before any other work. ``progress(done, total)`` is told
    after each proposal.
    """
    draft = build_release(files)
    active = active_release(session)
    if active is None:
        return []
    current = compiled(active)
    changes = []
    proposals = list(open_and_active(session))
    for index, proposal in enumerate(proposals, 1):
        if not validate(proposal.document):
            diff = compare(score(proposal.document, current).to_dict(), score(proposal.document, draft).to_dict())
            if diff["rating"][0] != diff["rating"][1] or diff["prohibited"][0] != diff["prohibited"][1] or \
                    diff["new"] or diff["gone"] or diff["changed"]:
                changes.append({"proposal": proposal, "reassessed": reassessable(proposal), **diff})
        if progress is not None:
            progress(index, len(proposals))
    return changes

