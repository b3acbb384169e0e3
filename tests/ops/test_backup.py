"""``backup`` then ``restore`` into a fresh database: every proposal, assessment, report (sha256) and audit row."""
from __future__ import annotations

import hashlib
import io
import os
import tarfile
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select

from riskdesk import create_app
from riskdesk.council import reports
from riskdesk.engine.document import load_path
from riskdesk.models import Assessment, AuditEvent, Proposal, Report
from riskdesk.proposals.assessments import assess_proposal
from riskdesk.proposals.services import create_proposal
from tests.pgcluster import throwaway_database

DEMO = sorted((Path(__file__).resolve().parents[2] / "demo").glob("*.yaml"))
_names = count()


@pytest.fixture
def fresh_url(database_url, request, tmp_path):
    """An empty database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'riskdesk.sqlite3'}"
        return
    with throwaway_database(request.getfixturevalue("postgres_template"), request.getfixturevalue("postgres_cluster"),
                            f"restore{os.getpid()}_{next(_names)}", "template0") as url:
        yield url


@pytest.fixture
def filled(app, db_session, users, published):
    """Proposals, assessments, one issued report and their audit rows."""
    for path in DEMO[:3]:
        assess_proposal(db_session, create_proposal(db_session, load_path(path), actor=users["staff"]),
                        actor=users["staff"])
    first = db_session.scalars(select(Proposal).order_by(Proposal.id)).first()
    reports.issue_report(db_session, first, actor=users["staff"], reports_dir=Path(app.config["REPORTS_DIR"]),
                         timeout=120)
    db_session.commit()


def snapshot(session) -> dict:
    session.expire_all()
    return {
        "proposals": [(p.id, p.title, p.version_id, p.status, p.document) for p in
                      session.scalars(select(Proposal).order_by(Proposal.id))],
        "assessments": [(a.id, a.proposal_id, a.release_id, a.rating, a.result) for a in
                        session.scalars(select(Assessment).order_by(Assessment.id))],
        "reports": [(r.id, r.proposal_id, r.filename, r.sha256) for r in
                    session.scalars(select(Report).order_by(Report.id))],
        "audit": [(e.id, e.at, e.action, e.actor, e.object_id, e.summary, e.after) for e in
                  session.scalars(select(AuditEvent).order_by(AuditEvent.id))],
    }


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["riskdesk", *args])


def restored_app(url, tmp_path):
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret",
                       "INSTANCE_PATH": str(tmp_path / "instance2"), "REPORTS_DIR": str(tmp_path / "reports2")})


def test_backup_restores_into_a_fresh_database_with_every_row_and_report_intact(app, db_session, filled, fresh_url,
                                                                                tmp_path):
    before = snapshot(db_session)
    assert len(before["proposals"]) == 3 and len(before["reports"]) == 1 and len(before["audit"]) >= 8
    archive = tmp_path / "riskdesk-backup.tar"
    made = cli(app, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "1 report file(s)" in made.output

    target = restored_app(fresh_url, tmp_path)
    done = cli(target, "restore", str(archive))
    assert done.exit_code == 0, done.output
    session = target.extensions["riskdesk.sessionmaker"]()
    try:
        assert snapshot(session) == before
        for _id, _pid, filename, sha256 in before["reports"]:
            data = Path(target.config["REPORTS_DIR"], filename).read_bytes()
            assert hashlib.sha256(data).hexdigest() == sha256
    finally:
        session.close()
        target.extensions["riskdesk.engine"].dispose()
    again = cli(restored_app(fresh_url, tmp_path), "restore", str(archive))
    assert again.exit_code == 2 and "already holds RiskDesk tables" in again.output


def test_a_tampered_report_file_stops_the_restore_before_the_database_is_touched(app, filled, fresh_url, tmp_path):
    archive = tmp_path / "b.tar"
    assert cli(app, "backup", str(archive)).exit_code == 0
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("reports/"):
                data = data.replace(b"%%EOF", b"%%EOF\n% changed")
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    restored = restored_app(fresh_url, tmp_path)
    result = cli(restored, "restore", str(tampered))
    assert result.exit_code == 2 and "sha256 does not match the manifest" in result.output
    from sqlalchemy import inspect

    with restored.extensions["riskdesk.engine"].connect() as conn:
        assert "proposal" not in inspect(conn).get_table_names()
    restored.extensions["riskdesk.engine"].dispose()


def test_backup_never_overwrites_and_restore_rejects_a_file_that_is_not_a_backup(app, tmp_path):
    existing = tmp_path / "exists.tar"
    existing.write_bytes(b"keep me")
    result = cli(app, "backup", str(existing))
    assert result.exit_code == 2 and "exists already" in result.output and existing.read_bytes() == b"keep me"
    with tarfile.open(tmp_path / "empty.tar", "w"):
        pass
    result = cli(app, "restore", str(tmp_path / "empty.tar"))
    assert result.exit_code == 2 and "not a RiskDesk backup" in result.output
