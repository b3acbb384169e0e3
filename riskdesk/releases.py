"""Checklist releases in the database: publish, activate, roll back, and load compiled ones."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from riskdesk import audit
from riskdesk.checklists import Release, build_release, read_directory
from riskdesk.models import ChecklistRelease, User


@lru_cache(maxsize=16)
def _compiled(hash_: str, files: tuple[tuple[str, str], ...]) -> Release:
    return build_release(dict(files))


def compiled(row: ChecklistRelease) -> Release:
    """The compiled release of a stored row (cached by content hash: releases are immutable)."""
    return _compiled(row.hash, tuple(sorted(row.files.items())))


def active_release(session: Session) -> ChecklistRelease | None:
    return session.scalars(select(ChecklistRelease).where(ChecklistRelease.active.is_(True))).first()


def publish(session: Session, files: dict[str, str], *, actor: User | None = None, note: str = "") -> ChecklistRelease:
    """Validate ``files`` (raises ChecklistError, leaving the active release untouched), then make it active."""
    release = build_release(files)
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
    audit.record(session, "checklist.publish", actor=actor, object_type="checklist_release", object_id=row.id,
                 summary=f"Release {row.hash[:12]} active ({row.item_count} items). {note}".strip(),
                 before={"release": previous.hash if previous else None}, after={"release": row.hash})
    return row


def publish_directory(session: Session, directory: str | Path, *, actor: User | None = None,
                      note: str = "") -> ChecklistRelease:
    return publish(session, read_directory(directory), actor=actor, note=note)
