"""Restricted-party lists in the database: import snapshots, screen a proposal's parties, adjudicate.

The matching itself lives in the pure ``riskdesk.engine.screening`` package; this module stores
snapshots and decisions. A decision is keyed by the matcher's own clearance key (normalised name,
entry uid, entry content hash), so a false positive stays quiet until the listing changes.
"""
from __future__ import annotations

import zlib
from functools import lru_cache

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from riskdesk import db
from riskdesk.audit import trail
from riskdesk.engine.screening.importers import FORMATS, ParsedList, parse_bytes
from riskdesk.engine.screening.matcher import Matcher, query_key
from riskdesk.engine.screening.parties import ROLE_LABELS, document_parties, hit_record
from riskdesk.models import Adjudication, Assessment, ListSnapshot, Proposal, ScreeningHit, User, WatchHit
from riskdesk.vocabulary import APPROVED, AWAITING_DECISION, PARTY_KIND_LABELS, VERDICTS

# "approved and pending": the ties a city has or is about to enter
MONITORED_STATUSES = tuple(dict.fromkeys((*AWAITING_DECISION, *APPROVED)))


def import_list(session: Session, data: bytes, fmt: str, *, filename: str = "", actor: User | None = None,
                parsed: ParsedList | None = None) -> ListSnapshot:
    """Parse first (ListFormatError leaves the active snapshot untouched), then swap it in atomically.
    ``parsed`` is ``data`` already parsed by the caller (``lists fetch`` validates every file first).

    Imports of one kind run one at a time (``db.serialise``, keyed by the format) so that exactly one
    snapshot per kind stays active; the schema's partial unique index refuses a second.
    """
    parsed = parsed or parse_bytes(data, fmt, filename=filename)
    fmt = parsed.format
    db.serialise(session, "list_snapshot", FORMATS.index(fmt))
    previous = session.scalars(select(ListSnapshot).where(ListSnapshot.format == fmt,
                                                          ListSnapshot.active.is_(True))).all()
    if len(previous) == 1 and previous[0].sha256 == parsed.sha256:
        return previous[0]  # the same file is already the active snapshot
    session.execute(update(ListSnapshot).where(ListSnapshot.format == fmt, ListSnapshot.active.is_(True))
                    .values(active=False))
    snapshot = ListSnapshot(format=fmt, source=parsed.source, filename=filename, sha256=parsed.sha256,
                            record_count=parsed.record_count, content=zlib.compress(data, 6), active=True,
                            imported_by_id=actor.id if actor else None)
    session.add(snapshot)
    session.flush()
    trail.record(session, "list.import", actor=actor, object_type="list_snapshot", object_id=snapshot.id,
                 summary=f"{parsed.source}: {parsed.record_count} records from {filename or 'upload'}",
                 before={"snapshots": [p.sha256 for p in previous]}, after={"sha256": parsed.sha256})
    return snapshot


@lru_cache(maxsize=8)
def _entries(sha256: str, fmt: str, content: bytes):
    return parse_bytes(zlib.decompress(content), fmt).entries


@lru_cache(maxsize=4)
def _matcher(key: tuple) -> Matcher:
    return Matcher([entry for sha, fmt, content in key for entry in _entries(sha, fmt, content)])


def active_snapshots(session: Session) -> list[ListSnapshot]:
    return list(session.scalars(select(ListSnapshot).where(ListSnapshot.active.is_(True)).order_by(ListSnapshot.id)))


def active_matcher(session: Session) -> tuple[Matcher | None, list[ListSnapshot]]:
    """A matcher over every active snapshot (cached by content), and the snapshots; None when none is active."""
    snapshots = active_snapshots(session)
    if not snapshots:
        return None, []
    return _matcher(tuple((s.sha256, s.format, s.content) for s in snapshots)), snapshots


def _cleared_keys(session: Session) -> set[tuple[str, str, str]]:
    return {(a.query_key, a.entry_uid, a.entry_hash) for a in session.scalars(
        select(Adjudication).where(Adjudication.verdict == "false_positive"))}


def screen_proposal(session: Session, proposal: Proposal) -> tuple[list[dict], list[ScreeningHit]]:
    """Screen every party; return (hits for the engine, rows to store with the assessment).

    A hit a person marked false positive is stored (and shown) but not raised again as a finding,
    unless the list entry changed since (its content hash differs).
    """
    matcher, snapshots = active_matcher(session)
    if matcher is None:
        return [], []
    snapshot_by_source = {snapshot.source: snapshot.id for snapshot in snapshots}
    cleared = _cleared_keys(session)
    engine_hits: list[dict] = []
    rows: list[ScreeningHit] = []
    for party in proposal.parties:
        kind = "person" if party.kind == "person" else None
        for hit in matcher.screen(party.name, kind=kind, country=party.country or None):
            entry = hit.entry
            row = ScreeningHit(
                snapshot_id=snapshot_by_source.get(entry.source, snapshots[0].id), query=party.name[:200],
                role=PARTY_KIND_LABELS.get(party.kind, party.kind), entry_uid=entry.uid,
                entry_hash=entry.content_hash(), list_source=entry.source[:200], matched_name=hit.matched_name[:400],
                score=float(hit.score), why=hit.why,
                details={"programs": list(entry.programs), "countries": list(entry.countries),
                         "listed_name": entry.name, "remarks": entry.remarks[:500],
                         "explanation": dict(hit.explanation)},
            )
            rows.append(row)
            if (query_key(party.name), entry.uid, row.entry_hash) in cleared:
                continue
            engine_hits.append({"query": party.name, "role": row.role, "matched_name": hit.matched_name,
                                "list_source": entry.source, "entry_uid": entry.uid, "score": float(hit.score),
                                "why": hit.why})
    return engine_hits, rows


def adjudicate(session: Session, hit: ScreeningHit, verdict: str, note: str, *, actor: User) -> Adjudication:
    if verdict not in VERDICTS:
        raise ValueError("verdict: choose true match or false positive")
    if not note.strip():
        raise ValueError("note: explain the decision")
    row = Adjudication(query_key=query_key(hit.query), entry_uid=hit.entry_uid, entry_hash=hit.entry_hash,
                       verdict=verdict, note=note.strip(), by_id=actor.id, by_name=actor.username)
    session.add(row)
    trail.record(session, "screening.adjudicate", actor=actor, object_type="screening_hit", object_id=hit.id,
                 summary=f"{hit.query} ~ {hit.matched_name}: {verdict}", after={"verdict": verdict, "note": note})
    return row


def hits_with_decisions(session: Session, assessment_id: int) -> list[tuple[ScreeningHit, Adjudication | None]]:
    """An assessment's hits, strongest first, each with its latest decision (two queries in all)."""
    hits = session.scalars(select(ScreeningHit).where(ScreeningHit.assessment_id == assessment_id)
                           .order_by(ScreeningHit.score.desc(), ScreeningHit.id)).all()
    keys = {(query_key(h.query), h.entry_uid, h.entry_hash) for h in hits}
    latest: dict[tuple[str, str, str], Adjudication] = {}
    if keys:
        decisions = session.scalars(select(Adjudication).where(
            tuple_(Adjudication.query_key, Adjudication.entry_uid, Adjudication.entry_hash).in_(list(keys)))
            .order_by(Adjudication.id))
        for decision in decisions:
            latest[(decision.query_key, decision.entry_uid, decision.entry_hash)] = decision
    return [(hit, latest.get((query_key(hit.query), hit.entry_uid, hit.entry_hash))) for hit in hits]


def snapshot_summary(snapshots: list[ListSnapshot]) -> list[dict]:
    """What a screening result names as its lists: source, snapshot date, sha256, records."""
    return [{"source": s.source, "format": s.format, "snapshot_date": s.imported_at.date().isoformat(),
             "sha256": s.sha256, "records": s.record_count} for s in snapshots]


def screen_document(session: Session, document: dict) -> dict:
    """Screen an intake document's parties (not stored) for the command line:
    ``{performed, lists, hits}``; hits a person cleared as false positive are left out."""
    matcher, snapshots = active_matcher(session)
    if matcher is None:
        return {"performed": False, "lists": [], "hits": []}
    cleared = _cleared_keys(session)
    hits = []
    for party in document_parties(document):
        for hit in matcher.screen(party.name, kind=party.matcher_kind, country=party.country or None,
                                  cleared=cleared):
            hits.append({"query": party.name, "role": ROLE_LABELS[party.role], **hit_record(hit),
                         "list_source": hit.entry.source, "entry_uid": hit.entry.uid})
    return {"performed": True, "lists": snapshot_summary(snapshots), "hits": hits}


def screen_names(session: Session, rows: list[dict], *, threshold: float | None = None) -> list[dict] | None:
    """Batch screening (``python -m riskdesk screen``): one result per row ``{name, kind, country,
    birth_year}``, in order; None when no list snapshot is active."""
    matcher, _ = active_matcher(session)
    if matcher is None:
        return None
    results = []
    for row in rows:
        hits = matcher.screen(row["name"], kind=row.get("kind"), country=row.get("country") or None,
                              birth_year=row.get("birth_year"), threshold=threshold)
        results.append({"query": row["name"], "hits": [hit_record(h) for h in hits]})
    return results


def active_snapshot(session: Session, fmt: str) -> ListSnapshot | None:
    return session.scalars(select(ListSnapshot).where(ListSnapshot.format == fmt, ListSnapshot.active.is_(True))
                           .order_by(ListSnapshot.id.desc())).first()


def import_and_monitor(session: Session, data: bytes, fmt: str, *, filename: str = "",
                       actor: User | None = None, parsed: ParsedList | None = None) -> tuple[ListSnapshot, bool, int]:
    """import_list, then, when a new snapshot became active, re-screen the portfolio:
    (snapshot, whether it changed, new potential matches on existing ties)."""
    before = active_snapshot(session, fmt)
    snapshot = import_list(session, data, fmt, filename=filename, actor=actor, parsed=parsed)
    if before is not None and before.id == snapshot.id:
        return snapshot, False, 0
    return snapshot, True, len(rescreen_portfolio(session, snapshot, actor))


def _known_keys(session: Session, proposal: Proposal) -> set[tuple[str, str, str]]:
    """Matches already put before people for this proposal: its latest assessment's hits and the
    potential matches monitoring raised since."""
    latest = session.scalars(select(Assessment).where(Assessment.proposal_id == proposal.id)
                             .order_by(Assessment.id.desc())).first()
    rows = list(session.scalars(select(ScreeningHit).where(ScreeningHit.assessment_id == latest.id))) if latest else []
    rows += list(session.scalars(select(WatchHit).where(WatchHit.proposal_id == proposal.id)))
    return {(query_key(r.query), r.entry_uid, r.entry_hash) for r in rows}


def rescreen_portfolio(session: Session, snapshot: ListSnapshot, actor: User | None = None) -> list[WatchHit]:
    """Re-screen every approved and pending proposal against the active snapshots after ``snapshot``
    became active; a potential match that the proposal's latest assessment did not show and nobody
    cleared is stored (shown on the council page) and written to the audit trail with the snapshot."""
    matcher, _ = active_matcher(session)
    if matcher is None:
        return []
    cleared = _cleared_keys(session)
    found: list[WatchHit] = []
    proposals = session.scalars(select(Proposal).where(Proposal.status.in_(MONITORED_STATUSES))
                                .order_by(Proposal.id)).all()
    for proposal in proposals:
        known = _known_keys(session, proposal) | cleared
        for party in proposal.parties:
            kind = "person" if party.kind == "person" else None
            for hit in matcher.screen(party.name, kind=kind, country=party.country or None):
                key = (query_key(party.name), hit.entry.uid, hit.entry.content_hash())
                if key in known:
                    continue
                known.add(key)
                found.append(_record_watch_hit(session, proposal, party, hit, snapshot, actor))
    return found


def _record_watch_hit(session, proposal, party, hit, snapshot, actor) -> WatchHit:
    entry = hit.entry
    row = WatchHit(proposal_id=proposal.id, snapshot_id=snapshot.id, query=party.name[:200],
                   role=PARTY_KIND_LABELS.get(party.kind, party.kind), entry_uid=entry.uid,
                   entry_hash=entry.content_hash(), list_source=entry.source[:200],
                   matched_name=hit.matched_name[:400], score=float(hit.score), why=hit.why)
    session.add(row)
    session.flush()
    trail.record(session, "screening.new_match", actor=actor, object_type="proposal", object_id=proposal.id,
                 summary=f"New potential match on {proposal.title}: {party.name} ~ {hit.matched_name} "
                         f"({entry.source}, {entry.uid}, score {hit.score:.0f}), raised by the {snapshot.source} "
                         f"snapshot {snapshot.sha256[:12]} of {snapshot.imported_at:%Y-%m-%d}",
                 after={"watch_hit": row.id, "snapshot_id": snapshot.id, "snapshot_sha256": snapshot.sha256,
                        "query": party.name, "entry_uid": entry.uid, "score": float(hit.score)})
    return row


def open_watch_hits(session: Session) -> list[tuple[WatchHit, Proposal, ListSnapshot]]:
    """Potential matches monitoring raised on monitored proposals that no later assessment has taken up."""
    assessed = (select(Assessment.proposal_id, func.max(Assessment.created_at).label("at"))
                .group_by(Assessment.proposal_id).subquery())
    rows = session.execute(
        select(WatchHit, Proposal, ListSnapshot)
        .join(Proposal, Proposal.id == WatchHit.proposal_id)
        .join(ListSnapshot, ListSnapshot.id == WatchHit.snapshot_id)
        .outerjoin(assessed, assessed.c.proposal_id == WatchHit.proposal_id)
        .where(Proposal.status.in_(MONITORED_STATUSES))
        .where((assessed.c.at.is_(None)) | (assessed.c.at < WatchHit.found_at))
        .order_by(WatchHit.found_at.desc(), WatchHit.id.desc()))
    return [tuple(r) for r in rows.all()]
