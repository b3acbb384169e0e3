"""Screening in the app: list import through the CLI, hits become findings, adjudication quiets them."""
import subprocess
import sys

from sqlalchemy import select

from riskdesk.models import AuditEvent, ListSnapshot, ScreeningHit
from riskdesk.proposals import assessments
from riskdesk.proposals.services import create_proposal
from riskdesk.screening import services as screening_service
from tests.conftest import PROJECT_ROOT, make_user, shared_dir

SDN = shared_dir() / "data" / "ofac-sdn-2024-05-03.csv"
DOC = {"title": "Trade exchange with a Havana bank", "city": {"name": "Tampa", "state": "FL"},
       "agreement": {"type": "economic_development"},
       "partner": {"name": "Banco Nacional de Cuba", "country": "CU"},
       "people": [{"name": "Maria Gonzalez", "country": "US"}]}


def test_hits_become_findings_and_false_positives_stay_quiet(app, db_session, published):
    assert SDN.exists(), f"list file missing: {SDN}"
    snapshot = screening_service.import_list(db_session, SDN.read_bytes(), "sdn", filename=SDN.name)
    db_session.commit()
    assert snapshot.record_count == 14965 and snapshot.active
    user = make_user(db_session, "stella", ["staff"])
    proposal = create_proposal(db_session, DOC, actor=user)
    hits, _ = screening_service.screen_proposal(db_session, proposal)
    assert any(h["matched_name"].upper().startswith("BANCO NACIONAL DE CUBA") for h in hits)
    assessment = assessments.assess_proposal(db_session, proposal, actor=user)  # screens, then scores
    db_session.commit()
    screening_findings = [f for f in assessment.result["findings"] if f["id"].startswith("SCREEN-")]
    assert screening_findings and all(f["category"] == "legal_federal" for f in screening_findings)
    record = db_session.scalars(select(ScreeningHit).where(ScreeningHit.assessment_id == assessment.id)).first()
    screening_service.adjudicate(db_session, record, "false_positive", "Different bank, checked the registry",
                                 actor=user)
    db_session.commit()
    again, _ = screening_service.screen_proposal(db_session, proposal)
    assert all(h["entry_uid"] != record.entry_uid for h in again)
    assert db_session.scalars(select(AuditEvent).where(AuditEvent.action == "screening.adjudicate")).first()


def test_malformed_list_is_rejected_and_active_snapshot_stays(app, db_session, tmp_path, database_url):
    good = tmp_path / "sdn.csv"
    good.write_bytes(b"".join(SDN.read_bytes().splitlines(keepends=True)[:50]))
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT),
           "RISKDESK_INSTANCE": str(tmp_path / "instance")}
    ok = subprocess.run([sys.executable, "-m", "riskdesk", "lists", "import", str(good), "--format", "sdn"],
                        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT)
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"\n')
    refused = subprocess.run([sys.executable, "-m", "riskdesk", "lists", "import", str(bad), "--format", "sdn"],
                             capture_output=True, text=True, env=env, cwd=PROJECT_ROOT)
    assert refused.returncode == 2 and "line 1" in refused.stderr
    db_session.expire_all()
    active = db_session.scalars(select(ListSnapshot).where(ListSnapshot.active.is_(True))).all()
    assert len(active) == 1 and active[0].filename == "sdn.csv"


def test_report_cli_writes_a_pdf(tmp_path):
    out = tmp_path / "r.pdf"
    result = subprocess.run([sys.executable, "-m", "riskdesk", "report", str(PROJECT_ROOT / "demo" / "02_port_mou_cn.yaml"),
                             "-o", str(out)], capture_output=True, text=True, cwd=tmp_path,
                            env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_reimporting_the_same_file_keeps_one_snapshot(app, db_session):
    data = b"".join(SDN.read_bytes().splitlines(keepends=True)[:20])
    first = screening_service.import_list(db_session, data, "sdn", filename="a.csv")
    again = screening_service.import_list(db_session, data, "sdn", filename="a.csv")
    db_session.commit()
    assert first.id == again.id
    assert len(db_session.scalars(select(ListSnapshot)).all()) == 1
