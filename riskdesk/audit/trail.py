"""The append-only audit trail: every service that changes something records it here."""
from __future__ import annotations

import json
from typing import Any, Mapping

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from riskdesk.engine import csvsafe
from riskdesk.models import AuditEvent, User

CSV_COLUMNS = ["id", "at", "actor", "action", "object_type", "object_id", "summary", "before", "after"]


def record(session: Session, action: str, *, actor: User | None = None, object_type: str = "",
           object_id: Any = "", summary: str = "", before: Any = None, after: Any = None) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None, actor=actor.username if actor else "system",
        action=action, object_type=object_type, object_id=str(object_id), summary=summary,
        before=before, after=after,
    )
    session.add(event)
    return event


def query(args: Mapping[str, str]) -> Select:
    """Events filtered by action prefix, actor and object id, newest first."""
    statement = select(AuditEvent)
    if args.get("action"):
        statement = statement.where(AuditEvent.action.startswith(args["action"][:60], autoescape=True))
    if args.get("actor"):
        statement = statement.where(AuditEvent.actor == args["actor"][:80])
    if args.get("object_id"):
        statement = statement.where(AuditEvent.object_id == args["object_id"][:80])
    return statement.order_by(AuditEvent.id.desc())


def csv_text(session: Session, args: Mapping[str, str]) -> str:
    """The filtered trail as spreadsheet-safe CSV (no cell is evaluated as a formula)."""
    rows = ([e.id, e.at.isoformat(), e.actor, e.action, e.object_type, e.object_id, e.summary,
             json.dumps(e.before, ensure_ascii=False), json.dumps(e.after, ensure_ascii=False)]
            for e in session.scalars(query(args)))
    return csvsafe.csv_text(CSV_COLUMNS, rows)
