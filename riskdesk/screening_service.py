"""Restricted-party lists in the database: import snapshots, screen a proposal's parties, adjudicate.

The matching itself lives in the pure ``riskdesk.screening`` package; this module only stores
snapshots and decisions.
"""
from __future__ import annotations

import zlib
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from riskdesk import audit
from riskdesk.models import Adjudication, ListSnapshot, Proposal, ScreeningHit, User

ROLE_NAMES = {"partner": "Partner", "intermediary": "Intermediary", "person": "Person", "vendor": "Vendor"}


def import_list(session: Session, data: bytes, fmt: str, *, filename: str = "", actor: User | None = None) -> ListSnapshot:
    """Parse first (ListFormatError leaves the active snapshot untouched), then swap it in atomically."""
    from riskdesk.screening.importers import parse_bytes

    parsed = parse_bytes(data, fmt, filename=filename)
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
    audit.record(session, "list.import", actor=actor, object_type="list_snapshot", object_id=snapshot.id,
                 summary=f"{parsed.source}: {parsed.record_count} records from {filename or 'upload'}",
                 before={"snapshots": [p.sha256 for p in previous]}, after={"sha256": parsed.sha256})
    return snapshot


@lru_cache(maxsize=8)
def _entries(sha256: str, fmt: str, content: bytes):
    from riskdesk.screening.importers import parse_bytes

    return parse_bytes(zlib.decompress(content), fmt).entries


@lru_cache(maxsize=4)
def _matcher(key: tuple):
    from riskdesk.screening.matcher import Matcher

    entries = [entry for sha, fmt, content in key for entry in _entries(sha, fmt, content)]
    return Matcher(entries)


def active_snapshots(session: Session) -> list[ListSnapshot]:
    return list(session.scalars(select(ListSnapshot).where(ListSnapshot.active.is_(True)).order_by(ListSnapshot.id)))


def query_key(name: str) -> str:
    """The matcher's normalised name key (word order ignored), so "IVANOV, Ivan" clears "Ivan Ivanov"."""
    from riskdesk.screening.matcher import query_key as normalised

    return normalised(name)[:200]


def screen_proposal(session: Session, proposal: Proposal) -> tuple[list[dict], list[ScreeningHit]]:
    """Screen every party; return (hits for the engine, records to store with the assessment).

    A hit a person marked false positive is stored (and shown) but not raised again as a finding,
    unless the list entry changed since (its content hash differs).
    """
    snapshots = active_snapshots(session)
    if not snapshots:
        return [], []
    matcher = _matcher(tuple((s.sha256, s.format, s.content) for s in snapshots))
    snapshot_by_source = {}
    for snapshot in snapshots:
        snapshot_by_source[snapshot.source] = snapshot.id
    cleared = {(a.query_key, a.entry_uid, a.entry_hash) for a in session.scalars(
        select(Adjudication).where(Adjudication.verdict == "false_positive"))}
    engine_hits: list[dict] = []
    records: list[ScreeningHit] = []
    for party in proposal.parties:
        kind = "person" if party.kind == "person" else None
        for hit in matcher.screen(party.name, kind=kind):
            entry = hit.entry
            record = ScreeningHit(
                snapshot_id=snapshot_by_source.get(entry.source, snapshots[0].id), query=party.name[:200],
                role=ROLE_NAMES.get(party.kind, party.kind), entry_uid=entry.uid, entry_hash=entry.content_hash(),
                list_source=entry.source[:200], matched_name=hit.matched_name[:400], score=float(hit.score),
                why=hit.why, details={"programs": list(entry.programs), "countries": list(entry.countries),
                                      "listed_name": entry.name, "remarks": entry.remarks[:500],
                                      "explanation": {k: v for k, v in hit.explanation.items()}},
            )
            records.append(record)
            if (query_key(party.name), entry.uid, record.entry_hash) in cleared:
                continue
            engine_hits.append({"query": party.name, "role": record.role, "matched_name": hit.matched_name,
                                "list_source": entry.source, "entry_uid": entry.uid, "score": float(hit.score),
                                "why": hit.why})
    return engine_hits, records


def adjudicate(session: Session, hit: ScreeningHit, verdict: str, note: str, *, actor: User) -> Adjudication:
    if verdict not in ("true_match", "false_positive"):
        raise ValueError("verdict: choose true match or false positive")
    if not note.strip():
        raise ValueError("note: explain the decision")
    row = Adjudication(query_key=query_key(hit.query), entry_uid=hit.entry_uid, entry_hash=hit.entry_hash,
                       verdict=verdict, note=note.strip(), by_id=actor.id, by_name=actor.username)
    session.add(row)
    audit.record(session, "screening.adjudicate", actor=actor, object_type="screening_hit", object_id=hit.id,
                 summary=f"{hit.query} ~ {hit.matched_name}: {verdict}", after={"verdict": verdict, "note": note})
    return row


def adjudication_for(session: Session, hit: ScreeningHit) -> Adjudication | None:
    return session.scalars(select(Adjudication).where(
        Adjudication.query_key == query_key(hit.query), Adjudication.entry_uid == hit.entry_uid,
        Adjudication.entry_hash == hit.entry_hash).order_by(Adjudication.id.desc())).first()


def hits_with_decisions(session: Session, assessment) -> list[tuple[ScreeningHit, Adjudication | None]]:
    hits = session.scalars(select(ScreeningHit).where(ScreeningHit.assessment_id == assessment.id)
                           .order_by(ScreeningHit.score.desc())).all()
    return [(hit, adjudication_for(session, hit)) for hit in hits]
