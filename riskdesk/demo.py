"""Demo data: realistic example proposals and the shipped checklists as the active release.

One demo tie is already approved, so the council's portfolio is not empty on a fresh install.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from riskdesk.audit import trail
from riskdesk.checklists import releases
from riskdesk.config import PROJECT_ROOT
from riskdesk.engine.document import load_path
from riskdesk.models import Proposal, Transition
from riskdesk.proposals.assessments import assess_proposal
from riskdesk.proposals.services import create_proposal

DEMO_DIR = PROJECT_ROOT / "demo"
# demo file -> (status it has reached, the council's reason)
DEMO_DECISIONS = {
    "01_french_sister_city.yaml": ("approved", "Demo data: approved by council resolution after a public hearing."),
}
PATH_TO_DECISION = ("submitted", "in_review")


def demo_files() -> list[Path]:
    return sorted(DEMO_DIR.glob("*.yaml"))


def load(session: Session, checklists_dir: Path | None = None) -> int:
    """Publish the checklists (if changed) and add each demo proposal not yet present. Returns how many."""
    releases.publish_directory(session, checklists_dir or PROJECT_ROOT / "checklists", note="Shipped checklists")
    added = 0
    for path in demo_files():
        document = load_path(path)
        exists = session.scalars(select(Proposal.id).where(Proposal.title == document["title"])).first()
        if exists is not None:
            continue
        proposal = create_proposal(session, document, how=f"demo {path.name}")
        added += 1
        if path.name in DEMO_DECISIONS:
            _decide(session, proposal, *DEMO_DECISIONS[path.name])
    return added


def _decide(session: Session, proposal: Proposal, status: str, reason: str) -> None:
    """Walk a demo proposal through assessment (screening included) and the workflow to its decided status (no user: system)."""
    assess_proposal(session, proposal)
    for step in PATH_TO_DECISION + (status,):
        session.add(Transition(proposal_id=proposal.id, from_status=proposal.status, to_status=step,
                               reason=reason if step == status else "Demo data."))
        trail.record(session, "proposal.transition", object_type="proposal", object_id=proposal.id,
                     summary=f"{proposal.status} → {step} (demo data)", before={"status": proposal.status},
                     after={"status": step})
        proposal.status = step
