"""The job kinds: one function each, registered in ``KINDS`` (see the package docstring).

A kind writes through ``ctx.session`` and never commits: the runner commits its work together with the
job's success, or rolls all of it back (and runs ``ctx.undo``) when it raises. It returns a JSON-ready dict
whose ``summary`` is the sentence shown to administrators.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from riskdesk.checklists import releases
from riskdesk.council import reports
from riskdesk.engine.screening.importers import FORMATS
from riskdesk.models import ListSnapshot, Proposal, User
from riskdesk.proposals import assessments
from riskdesk.screening import fetch
from riskdesk.screening import services as screening


class JobRefused(Exception):
    """The job cannot run as asked (a missing release, a missing parameter): retrying will not help."""


@dataclass
class JobContext:
    session: Session
    params: dict[str, Any]
    actor: User | None
    config: dict
    progress: Callable[[int, int], None]
    undo: list[Callable[[], None]] = field(default_factory=list)  # run when the job's transaction rolls back


@dataclass(frozen=True)
class JobKind:
    title: str
    run: Callable[[JobContext], dict]
    max_attempts: int = 2


def reassess(ctx: JobContext) -> dict:
    active = releases.active_release(ctx.session)
    if active is None:
        raise JobRefused("No checklist release is active.")
    done, skipped = assessments.reassess_stale(ctx.session, active, actor=ctx.actor, progress=ctx.progress)
    summary = f"Re-assessed {done} proposal{'s' if done != 1 else ''} under release {active.hash[:12]}"
    summary += f"; {skipped} incomplete proposal(s) skipped." if skipped else "."
    return {"summary": summary, "reassessed": done, "skipped": skipped, "release": active.hash}


def _finding_ids(findings: list[dict]) -> list[str]:
    return sorted(f["id"] for f in findings)


def impact_preview(ctx: JobContext) -> dict:
    files = ctx.params.get("files")
    if not isinstance(files, dict) or not files:
        raise JobRefused("files: the draft release's checklist files are required.")
    active = releases.active_release(ctx.session)
    changes = releases.impact(ctx.session, files, progress=ctx.progress)
    rows = [{"proposal_id": c["proposal"].id, "title": c["proposal"].title, "rating": list(c["rating"]),
             "prohibited": list(c["prohibited"]), "new": _finding_ids(c["new"]), "gone": _finding_ids(c["gone"]),
             "changed": sorted(x["id"] for x in c["changed"])} for c in changes]
    count = len(rows)
    summary = (f"{count} open or active proposal{'' if count == 1 else 's'} would change." if count
               else "No open or active proposal would change.")
    return {"summary": summary, "changes": rows, "release": active.hash if active else None,
            "file": ctx.params.get("file", "")}


def _batch(session: Session, params: dict) -> list[Proposal]:
    ids, status = params.get("proposal_ids"), params.get("status")
    query = select(Proposal).order_by(Proposal.id)
    if isinstance(ids, list) and ids and all(isinstance(i, int) for i in ids):
        return list(session.scalars(query.where(Proposal.id.in_(ids))))
    if isinstance(status, str) and status:
        return list(session.scalars(query.where(Proposal.status == status)))
    raise JobRefused("proposal_ids (a list of numbers) or status (a workflow status) is required.")


def render_reports(ctx: JobContext) -> dict:
    """Issue the council report of every proposal in the batch; proposals never assessed are skipped."""
    if ctx.actor is None:
        raise JobRefused("Issuing reports needs the person who issues them (the job has no creator).")
    reports_dir = Path(ctx.config["REPORTS_DIR"])
    proposals = _batch(ctx.session, ctx.params)
    issued, skipped = [], []
    for index, proposal in enumerate(proposals, 1):
        try:
            previous = reports.latest_issued(ctx.session, proposal)  # a batch issues a new copy on purpose
            report, _ = reports.issue_report(ctx.session, proposal, actor=ctx.actor, reports_dir=reports_dir,
                                             timeout=float(ctx.config["REPORT_RENDER_TIMEOUT"]),
                                             replaces=previous.id if previous else None)
        except reports.NotAssessed:
            skipped.append(proposal.id)
        else:
            docx = reports.issued_docx(ctx.session, report)
            for name in (report.filename, docx[0] if docx else None):
                if name:
                    ctx.undo.append(lambda name=name: (reports_dir / name).unlink(missing_ok=True))
            issued.append({"proposal_id": proposal.id, "report_id": report.id, "sha256": report.sha256})
        ctx.progress(index, len(proposals))
    summary = f"Issued {len(issued)} report{'s' if len(issued) != 1 else ''}"
    summary += f"; {len(skipped)} proposal(s) not assessed yet, skipped." if skipped else "."
    return {"summary": summary, "issued": issued, "skipped": skipped}


def rescreen(ctx: JobContext) -> dict:
    """Re-screen the approved and pending ties against the active lists, as a new snapshot does on import."""
    snapshot_id = ctx.params.get("snapshot_id")
    snapshot = ctx.session.get(ListSnapshot, snapshot_id) if isinstance(snapshot_id, int) else None
    if snapshot is None or not snapshot.active:
        raise JobRefused("snapshot_id: the id of an active list snapshot is required.")
    found = screening.rescreen_portfolio(ctx.session, snapshot, ctx.actor)
    ctx.progress(1, 1)
    count = len(found)
    summary = (f"{count} new potential match{'es' if count != 1 else ''} on existing ties." if count
               else "No new potential match on existing ties.")
    return {"summary": summary, "new_matches": count, "snapshot": snapshot.sha256}


def _fetch_options(params: dict) -> tuple[tuple[str, ...], float]:
    only, timeout = params.get("only", []), params.get("timeout", 60)
    if not isinstance(only, list) or any(fmt not in FORMATS for fmt in only):
        raise JobRefused(f"only: a list of list formats ({', '.join(FORMATS)}).")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 1 <= timeout <= 3600:
        raise JobRefused("timeout: seconds to wait for each download, from 1 to 3600.")
    return tuple(only), float(timeout)


def fetch_lists(ctx: JobContext) -> dict:
    """Download every configured list (the addresses ``lists fetch`` uses), validate them all, then make
    the changed ones active and re-screen the portfolio, in the job's one transaction.

    A failed download is retried (bounded by ``max_attempts``); an invalid file is refused at once, since
    downloading it again gives the same file. Either way nothing is imported. Addresses come from the
    configuration only, never from the job's parameters (a page cannot point the server elsewhere).
    """
    only, timeout = _fetch_options(ctx.params)
    urls = fetch.configured_urls(ctx.config.get("LIST_URLS", {}), only)
    if not any(urls.get(fmt) for fmt in fetch.LISTS):
        raise JobRefused("No list address is configured (RISKDESK_SDN_URL, RISKDESK_CSL_URL, ...).")
    try:
        outcomes = fetch.fetch_lists(ctx.session, urls, timeout=timeout, actor=ctx.actor, progress=ctx.progress)
    except fetch.FetchFailed as exc:
        if exc.retryable:
            raise
        raise JobRefused(str(exc)) from None
    imported = [o for o in outcomes if o.status == "imported"]
    matches = sum(o.new_matches for o in imported)
    if imported:
        summary = (f"Imported {', '.join(o.fmt for o in imported)}; {matches} new potential "
                   f"match{'es' if matches != 1 else ''} on existing ties.")
    else:
        summary = "Every list is unchanged; no new snapshot."
    return {"summary": summary, "new_matches": matches,
            "lists": [{"format": o.fmt, "status": o.status, "message": o.message, "snapshot_id": o.snapshot_id,
                       "new_matches": o.new_matches} for o in outcomes]}


KINDS: dict[str, JobKind] = {
    "reassess": JobKind("Re-assess proposals after a release", reassess),
    "impact": JobKind("Impact preview of a draft release", impact_preview),
    "render_reports": JobKind("Issue council reports in a batch", render_reports),
    "rescreen": JobKind("Re-screen the portfolio against the active lists", rescreen),
    "fetch_lists": JobKind("Fetch the restricted-party lists and import the changed ones", fetch_lists,
                           max_attempts=3),
}
