"""The append-only audit trail: every service that changes something records it here."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from riskdesk.models import AuditEvent, User


def record(session: Session, action: str, *, actor: User | None = None, object_type: str = "",
           object_id: Any = "", summary: str = "", before: Any = None, after: Any = None) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None, actor=actor.username if actor else "system",
        action=action, object_type=object_type, object_id=str(object_id), summary=summary,
        before=before, after=after,
    )
    session.add(event)
    return event
