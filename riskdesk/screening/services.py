"""Restricted-party lists in the database: import snapshots, screen a proposal's parties, adjudicate.

The matching itself lives in the pure ``riskdesk.engine.screening`` package; this module stores
snapshots and decisions. A decision is keyed by the matcher's own clearance key (normalised name,
entry uid, entry content hash), so a false positive stays quiet until the listing changes.
"""
from __future__ import annotations

import zlib
from functools import lru_cache

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from riskdesk import db
from riskdesk.audit import trail
from riskdesk.engine.screening.importers import FORMATS, parse_bytes
from riskdesk.engine.screening.matcher import Matcher, query_key
from riskdesk.models import Adjudication, ListSnapshot, Proposal, ScreeningHit, User
from riskdesk.vocabulary import PARTY_KIND_LABELS, VERDICTS


def import_list(session: Session, data: bytes, fmt: str, *, filename: str = "", actor: User | None = None) -> ListSnapshot:
    """Parse first (ListFormatError leaves the active snapshot untouched), then swap it in atomically.

    Imports of one kind run one at a time (``db.serialise``, keyed by the format) so that exactly one
    snapshot per kind stays active; the schema's partial unique index refuses a second.
    """
    parsed = parse_bytes(data, fmt, filename=filename)
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
        for hit in matcher.screen(party.name, kind=kind):
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
