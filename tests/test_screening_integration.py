"""Screening in the app: list import and fetch through the CLI, hits become findings, adjudication quiets
them, ``screen``/``assess``/``report`` screen against the configured database, a new snapshot re-screens
the portfolio."""
import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from sqlalchemy import select

from riskdesk.cli import main as cli_main
from riskdesk.engine.screening.importers import sdn_bundle
from riskdesk.models import AuditEvent, ListSnapshot, Proposal, ScreeningHit, WatchHit
from riskdesk.proposals import assessments
from riskdesk.proposals.services import create_proposal
from riskdesk.screening import services as screening_service
from tests.conftest import PROJECT_ROOT, make_user, shared_dir
from tests.listserver import ListServer

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


# --------------------------------------------------------------------------- issue 15: screening everywhere

CSL = shared_dir() / "data" / "csl-2019-12.csv"
KEEP = (b"306,", b"173,", b"6365,", b"10863,", b"16666,", b"46002,")


def sdn_subset(extra: tuple[bytes, ...] = ()) -> bytes:
    """The first 40 SDN rows and a few known ones (fast to import, real rows)."""
    lines = SDN.read_bytes().split(b"\r\n")
    keep = [ln for i, ln in enumerate(lines) if i < 40 or ln.startswith(KEEP + extra)]
    return b"\r\n".join(dict.fromkeys(keep)) + b"\r\n"


def run_cli(args, env, cwd=PROJECT_ROOT, timeout=120):
    return subprocess.run([sys.executable, "-m", "riskdesk", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)


@pytest.fixture
def cli_env(database_url, tmp_path):
    return {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT),
            "RISKDESK_INSTANCE": str(tmp_path / "instance")}


def test_screen_command_end_to_end(app, db_session, tmp_path, cli_env):
    names = tmp_path / "delegation.txt"
    names.write_text("Banco Nacional de Cuba\nMaria Gonzalez\n\nAnglo-Caribbean Co Ltd\n", encoding="utf-8")
    refused = run_cli(["screen", str(names)], cli_env)
    assert refused.returncode == 2 and "no restricted-party list has been imported" in refused.stderr
    assert refused.stdout == ""
    screening_service.import_list(db_session, sdn_subset(), "sdn", filename="sdn.csv")
    db_session.commit()
    done = run_cli(["screen", str(names)], cli_env)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["Banco Nacional de Cuba", "Maria Gonzalez", "Anglo-Caribbean Co Ltd"]
    (bank,) = rows[0]["hits"]
    assert {k: bank[k] for k in ("source", "entry_id", "listed_name", "matched_name", "score")} == {
        "source": "OFAC SDN", "entry_id": "306", "listed_name": "BANCO NACIONAL DE CUBA",
        "matched_name": "BANCO NACIONAL DE CUBA", "score": 100.0}
    assert "SDN-306" in bank["why"] and rows[1]["hits"] == [] and rows[2]["hits"][0]["entry_id"] == "173"
    # a CSV with kind, country and birth date; a person's other birth year demotes the clash
    table = tmp_path / "visitors.csv"
    table.write_text("name,kind,country,birth_date\nUsama bin Muhammad bin Awad bin Ladin,person,SA,1957-03-10\n"
                     "Usama bin Muhammad bin Awad bin Ladin,person,SA,1990-01-01\n"
                     "Banco Nacional de Cuba,person,,\n", encoding="utf-8")
    done = run_cli(["screen", str(table)], cli_env)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [h["entry_id"] for h in rows[0]["hits"]] == ["6365"]
    assert rows[1]["hits"] == []  # listed DOB 1957, not 1990
    assert rows[2]["hits"] == []  # a person is not screened against the bank
    loose = run_cli(["screen", str(table), "--threshold", "70", "--format", "csv"], cli_env)
    records = list(csv.DictReader(io.StringIO(loose.stdout)))
    assert list(records[0]) == ["query", "source", "entry_id", "listed_name", "matched_name", "score", "why"]
    demoted = [r for r in records if r["entry_id"] == "6365" and "born 1990" in r["why"]]
    assert demoted and float(demoted[0]["score"]) < 88
    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind\nX,robot\n", encoding="utf-8")
    refused = run_cli(["screen", str(bad)], cli_env)
    assert refused.returncode == 2 and "line 2: kind 'robot' is not person or organization" in refused.stderr


def _intake(tmp_path, vendors=("Anglo-Caribbean Co Ltd",)) -> Path:
    document = yaml.safe_load((PROJECT_ROOT / "demo" / "02_port_mou_cn.yaml").read_text(encoding="utf-8"))
    document["partner"]["name"] = "Banco Nacional de Cuba"
    document["data_and_technology"]["vendors"] = list(vendors)
    path = tmp_path / "intake.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_assess_and_report_screen_against_the_configured_database(app, db_session, tmp_path, cli_env):
    intake = _intake(tmp_path)
    # no database configured at all: still works, and says the names were not screened
    bare = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "RISKDESK_INSTANCE": str(tmp_path / "none")}
    result = run_cli(["assess", str(intake)], bare, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["screening"] == {"performed": False, "lists": [], "hits": []}
    text = run_cli(["assess", str(intake), "--format", "text"], bare, cwd=tmp_path)
    assert "Screening: not screened: no list imported" in text.stdout
    assert not (tmp_path / "none").exists()
    # a database with no list imported
    assert json.loads(run_cli(["assess", str(intake)], cli_env).stdout)["screening"]["performed"] is False
    snapshot = screening_service.import_list(db_session, sdn_subset(), "sdn", filename="sdn.csv")
    db_session.commit()
    result = json.loads(run_cli(["assess", str(intake)], cli_env).stdout)
    screening = result["screening"]
    assert screening["performed"] is True
    assert screening["lists"] == [{"source": "OFAC SDN", "format": "sdn", "sha256": snapshot.sha256,
                                   "records": snapshot.record_count,
                                   "snapshot_date": snapshot.imported_at.date().isoformat()}]
    by_role = {h["role"]: h for h in screening["hits"]}
    assert by_role["Partner"]["entry_id"] == "306" and by_role["Vendor"]["entry_id"] == "173"
    assert {"SCREEN-SDN-306", "SCREEN-SDN-173"} <= {f["id"] for f in result["findings"]}
    text = run_cli(["assess", str(intake), "--format", "text"], cli_env).stdout
    assert "Screening against: OFAC SDN (snapshot" in text and "Vendor 'Anglo-Caribbean Co Ltd'" in text
    out = tmp_path / "r.pdf"
    report = run_cli(["report", str(intake), "-o", str(out)], cli_env)
    assert report.returncode == 0, report.stderr
    assert "screened against 1 list(s): 2 potential match(es)" in report.stdout
    pdf = " ".join(p.extract_text() or "" for p in PdfReader(str(out)).pages)
    assert "ANGLO-CARIBBEAN CO., LTD." in pdf and "BANCO NACIONAL DE CUBA" in pdf


def test_vendors_are_screened_in_the_web_flow(app, db_session, as_staff, published, tmp_path):
    screening_service.import_list(db_session, sdn_subset(), "sdn", filename="sdn.csv")
    db_session.commit()
    intake = _intake(tmp_path, vendors=("Example Ports Software", "Anglo-Caribbean Co Ltd"))
    response = as_staff.post("/proposals/import", {"file": (io.BytesIO(intake.read_bytes()), "intake.yaml")},
                             token_from="/proposals/import", content_type="multipart/form-data")
    assert response.status_code in (302, 303)
    proposal = db_session.scalars(select(Proposal)).one()
    assert as_staff.post(f"/proposals/{proposal.id}/assess").status_code in (302, 303)
    db_session.expire_all()
    hits = db_session.scalars(select(ScreeningHit)).all()
    vendor = [h for h in hits if h.role == "Vendor"]
    assert [(h.query, h.entry_uid) for h in vendor] == [("Anglo-Caribbean Co Ltd", "SDN-173")]
    page = as_staff.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "ANGLO-CARIBBEAN CO., LTD." in page


# --------------------------------------------------------------------------- lists fetch


@pytest.fixture
def list_server():
    server = ListServer()
    yield server
    server.close()


ALT = b'306,1,"aka","NATIONAL BANK OF CUBA",-0- \r\n'
ADD = b'306,2,"Calle 1","Havana","Cuba",-0- \r\n'


def fetch(app, server, *extra):
    app.config["LIST_URLS"] = {"sdn": f"{server.url}/sdn.csv", "alt": f"{server.url}/alt.csv",
                               "add": f"{server.url}/add.csv", "csl": f"{server.url}/csl.csv"}
    return app.test_cli_runner().invoke(cli_main, ["lists", "fetch", *extra])


def active(db_session):
    db_session.expire_all()
    return {s.format: s for s in db_session.scalars(select(ListSnapshot).where(ListSnapshot.active.is_(True)))}


def test_lists_fetch_imports_changed_files_and_keeps_the_active_ones_on_failure(app, db_session, list_server):
    list_server.files.update({"sdn.csv": sdn_subset(), "alt.csv": ALT, "add.csv": ADD, "csl.csv": CSL.read_bytes()})
    first = fetch(app, list_server)
    assert first.exit_code == 0, first.output
    assert "sdn: imported: OFAC SDN" in first.output and "csl: imported: Consolidated Screening List" in first.output
    snaps = active(db_session)
    assert snaps["sdn"].sha256 == hashlib.sha256(sdn_bundle(sdn_subset(), ALT, ADD)).hexdigest()
    bank = next(e for e in screening_service._entries(snaps["sdn"].sha256, "sdn", snaps["sdn"].content)
                if e.uid == "SDN-306")
    assert "NATIONAL BANK OF CUBA" in bank.aliases and bank.addresses == ("Calle 1, Havana, Cuba",)
    # unchanged files: nothing new
    again = fetch(app, list_server)
    assert again.exit_code == 0 and "sdn: unchanged" in again.output and "csl: unchanged" in again.output
    assert len(db_session.scalars(select(ListSnapshot)).all()) == 2
    # a changed SDN file becomes the active snapshot
    list_server.files["sdn.csv"] = sdn_subset(extra=(b"7157,",))
    changed = fetch(app, list_server, "--only", "sdn")
    assert changed.exit_code == 0 and "sdn: imported" in changed.output and "csl:" not in changed.output
    new_sdn = active(db_session)["sdn"]
    assert new_sdn.id != snaps["sdn"].id and new_sdn.record_count == snaps["sdn"].record_count + 1
    # broken, truncated and stalled downloads change nothing and exit 1
    list_server.files["sdn.csv"] = sdn_subset(extra=(b"7158,",))
    for mode, expected in (("broken", "HTTP 500"), ("truncated", "incomplete download"),
                           ("stall", "download failed")):
        getattr(list_server, mode).add("sdn.csv")
        failed = fetch(app, list_server, "--only", "sdn", "--timeout", "1")
        getattr(list_server, mode).discard("sdn.csv")
        assert failed.exit_code == 1 and expected in failed.output, (mode, failed.output)
        assert active(db_session)["sdn"].id == new_sdn.id
    # a file that downloads fine but is not a valid list is refused by the importer
    list_server.files["csl.csv"] = b"source,name\nx,y\n"
    invalid = fetch(app, list_server, "--only", "csl")
    assert invalid.exit_code == 1 and "csl: failed" in invalid.output and "missing required column" in invalid.output
    assert active(db_session)["csl"].id == snaps["csl"].id


def test_lists_fetch_imports_nothing_when_any_list_fails(app, db_session, list_server):
    list_server.files.update({"sdn.csv": sdn_subset(), "alt.csv": ALT, "add.csv": ADD, "csl.csv": CSL.read_bytes()})
    assert fetch(app, list_server).exit_code == 0
    before = active(db_session)
    list_server.files["sdn.csv"] = sdn_subset(extra=(b"7157,",))  # a valid new SDN file, but
    list_server.files["csl.csv"] = b"source,name\nx,y\n"  # the CSL download is not a list
    failed = fetch(app, list_server)
    assert failed.exit_code == 1, failed.output
    assert "csl: failed: csl.csv: line 1: missing required column" in failed.output
    assert "sdn: held back: OFAC SDN" in failed.output and "no list was imported" in failed.output
    now = active(db_session)
    assert {k: s.id for k, s in now.items()} == {k: s.id for k, s in before.items()}
    assert len(db_session.scalars(select(ListSnapshot)).all()) == 2


def test_lists_import_detects_the_format_and_names_a_mismatch(app, db_session, tmp_path, cli_env):
    csl_copy = tmp_path / "consolidated.csv"
    csl_copy.write_bytes(CSL.read_bytes())
    wrong = run_cli(["lists", "import", str(csl_copy), "--format", "sdn"], cli_env)
    assert wrong.returncode == 2 and "this looks like a CSL file" in wrong.stderr
    done = run_cli(["lists", "import", str(csl_copy)], cli_env)
    assert done.returncode == 0 and "imported: 115 records" in done.stdout, done.stderr
    sdn = tmp_path / "sdn.csv"
    sdn.write_bytes(sdn_subset())
    (tmp_path / "alt.csv").write_bytes(ALT)
    with_alt = run_cli(["lists", "import", str(sdn), "--alt", str(tmp_path / "alt.csv")], cli_env)
    assert with_alt.returncode == 0, with_alt.stderr
    assert set(active(db_session)) == {"sdn", "csl"}


# --------------------------------------------------------------------------- monitoring


def test_a_new_snapshot_rescreens_approved_and_pending_ties(app, db_session, as_council, published):
    user = make_user(db_session, "stan", ["staff"])
    tie = create_proposal(db_session, DOC, actor=user)
    draft = create_proposal(db_session, {**DOC, "title": "A draft"}, actor=user)
    assessments.assess_proposal(db_session, tie, actor=user)  # before any list: nothing flagged
    tie.status = "approved"
    db_session.commit()
    rows = [ln for ln in SDN.read_bytes().split(b"\r\n")[:30] if not ln.startswith(b"306,")]
    first = screening_service.import_list(db_session, b"\r\n".join(rows), "sdn", filename="old.csv")
    db_session.commit()
    assert screening_service.rescreen_portfolio(db_session, first) == []  # the bank is not in these rows
    snapshot, changed, found = screening_service.import_and_monitor(db_session, sdn_subset(), "sdn",
                                                                    filename="sdn.csv")
    db_session.commit()
    assert changed and found == 1
    (watch,) = db_session.scalars(select(WatchHit)).all()
    assert (watch.proposal_id, watch.entry_uid, watch.snapshot_id) == (tie.id, "SDN-306", snapshot.id)
    assert draft.id != watch.proposal_id  # drafts are not ties
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "screening.new_match")).one()
    assert event.object_id == str(tie.id) and event.after["snapshot_sha256"] == snapshot.sha256
    assert snapshot.sha256[:12] in event.summary and "Banco Nacional de Cuba" in event.summary
    page = as_council.get("/council").get_data(as_text=True)
    assert "New potential matches on existing ties" in page and "BANCO NACIONAL DE CUBA" in page
    assert snapshot.sha256[:12] in page
    # the same list again raises nothing new; a re-assessment takes the match up
    assert screening_service.import_and_monitor(db_session, sdn_subset(), "sdn", filename="sdn.csv")[1:] == (False, 0)
    assert screening_service.rescreen_portfolio(db_session, snapshot) == []
    assessments.assess_proposal(db_session, tie, actor=user)
    db_session.commit()
    assert "New potential matches on existing ties" not in as_council.get("/council").get_data(as_text=True)
