"""One active checklist release and one active snapshot per list kind, whatever runs at the same time.

Each trial starts several threads at once (a barrier), each with its own session and so its own
database connection, and each publishes a different release (or imports a different list file).
Afterwards exactly one row may be active, and every publish/import must have succeeded: the
publishes and imports are serialised, not refused. ``TRIALS`` rounds run per test; the counts of
trials that left more than one active row are printed (``-s``) for the issue's before/after note.
"""
from __future__ import annotations

import json
import os
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from riskdesk.checklists import releases
from riskdesk.engine.checklists import read_directory
from riskdesk.models import ChecklistRelease, ListSnapshot
from riskdesk.screening import services as screening
from tests.conftest import CHECKLISTS
from tests.test_migrations import empty_url  # noqa: F401 - fixture: an empty database on each backend

TRIALS = int(os.environ.get("RISKDESK_RACE_TRIALS", "5"))


def _run_at_once(app, jobs) -> list[BaseException]:
    """Run each ``job(session)`` in its own thread and session, all released together; return the errors."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        session = app.extensions["riskdesk.sessionmaker"]()
        try:
            barrier.wait()
            job(session)
            session.commit()
        except BaseException as exc:  # collected and asserted on below
            session.rollback()
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def _active_count(app, model, *where) -> int:
    session = app.extensions["riskdesk.sessionmaker"]()
    try:
        return session.scalar(select(func.count()).select_from(model).where(model.active.is_(True), *where))
    finally:
        session.close()


def _csl_json(label: str) -> bytes:
    return json.dumps([{"source": "Entity List (EL) - Bureau of Industry and Security", "name": f"Entity {label}",
                        "type": "Entity", "programs": "", "alt_names": "", "addresses": ""}]).encode()


def test_simultaneous_publishes_leave_one_active_release(app):
    base = read_directory(CHECKLISTS)
    publishers = 4
    failures = []
    for trial in range(TRIALS):
        variants = [{**base, "federal.yaml": base["federal.yaml"] + f"\n# trial {trial} publisher {k}\n"}
                    for k in range(publishers)]
        errors = _run_at_once(app, [lambda s, files=files: releases.publish(s, files, note="race")
                                    for files in variants])
        active = _active_count(app, ChecklistRelease)
        if active != 1 or errors:
            failures.append((trial, active, [type(e).__name__ for e in errors]))
    print(f"\npublish: {len(failures)} of {TRIALS} trials of {publishers} simultaneous publishes failed: {failures}")
    assert failures == []
    session = app.extensions["riskdesk.sessionmaker"]()
    try:
        newest = session.scalars(select(ChecklistRelease).order_by(ChecklistRelease.id.desc())).first()
        assert releases.active_release(session).id == newest.id  # the last publish to commit wins
    finally:
        session.close()


def test_simultaneous_list_imports_leave_one_active_snapshot_per_kind(app):
    importers = 6
    failures = []
    for trial in range(TRIALS):
        files = [_csl_json(f"{trial}-{k}") for k in range(importers)]
        errors = _run_at_once(app, [lambda s, data=data: screening.import_list(s, data, "csl", filename="csl.json")
                                    for data in files])
        active = _active_count(app, ListSnapshot, ListSnapshot.format == "csl")
        if active != 1 or errors:
            failures.append((trial, active, [type(e).__name__ for e in errors]))
    print(f"\nimport: {len(failures)} of {TRIALS} trials of {importers} simultaneous CSL imports failed: {failures}")
    assert failures == []


def test_the_database_refuses_a_second_active_release_and_snapshot(app, db_session, published):
    """The guarantee is the schema's, not only the code's: a direct second active row is refused."""
    db_session.add(ChecklistRelease(hash="f" * 64, files={}, item_count=0, active=True))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()
    for label in ("a", "b"):
        db_session.add(ListSnapshot(format="csl", source="CSL", filename="x", sha256=label * 64, record_count=1,
                                    content=b"", active=True))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()
    # one active snapshot per kind: an active SDN snapshot beside an active CSL snapshot is fine
    for fmt in ("csl", "sdn"):
        db_session.add(ListSnapshot(format=fmt, source=fmt, filename="x", sha256=fmt * 20, record_count=1,
                                    content=b"", active=True))
    db_session.flush()


def test_the_migration_keeps_only_the_newest_of_several_active_rows(empty_url):  # noqa: F811 (fixture)
    """A database hurt by the old race upgrades cleanly: the newest active row per kind stays active."""
    from sqlalchemy import text

    from riskdesk.db import make_engine, upgrade

    upgrade(empty_url, "0003")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            for n in range(3):
                conn.execute(text("INSERT INTO checklist_release (hash, files, item_count, note, active, created_at) "
                                  "VALUES (:h, '{}', 0, '', true, CURRENT_TIMESTAMP)"), {"h": str(n) * 64})
                for fmt in ("csl", "sdn"):
                    conn.execute(text("INSERT INTO list_snapshot (format, source, filename, sha256, record_count, "
                                      "content, active, imported_at) VALUES (:f, 's', 'f', :h, 1, :c, true, "
                                      "CURRENT_TIMESTAMP)"), {"f": fmt, "h": str(n) * 64, "c": b""})
        upgrade(empty_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT hash FROM checklist_release WHERE active")).scalars().all() == ["2" * 64]
            assert sorted(conn.execute(text("SELECT format, sha256 FROM list_snapshot WHERE active")).all()) == [
                ("csl", "2" * 64), ("sdn", "2" * 64)]
    finally:
        engine.dispose()
