"""Demo data: realistic example proposals and the shipped checklists as the active release."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from riskdesk import releases
from riskdesk.config import PROJECT_ROOT
from riskdesk.intake.document import load_path
from riskdesk.intake.services import create_proposal
from riskdesk.models import Proposal

DEMO_DIR = PROJECT_ROOT / "demo"


def demo_files() -> list[Path]:
    return sorted(DEMO_DIR.glob("*.yaml"))


def load(session: Session, checklists_dir: Path | None = None) -> int:
    """Publish the checklists (if changed) and add each demo proposal not yet present. Returns how many."""
    releases.publish_directory(session, checklists_dir or PROJECT_ROOT / "checklists", note="Shipped checklists")
    added = 0
    for path in demo_files():
        document = load_path(path)
        exists = session.scalars(select(Proposal.id).where(Proposal.title == document["title"])).first()
        if exists is None:
            create_proposal(session, document, how=f"demo {path.name}")
            added += 1
    return added
