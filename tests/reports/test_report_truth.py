"""The council report read back as a council member reads it: only true sentences, only words.

Every demo and scenario proposal is scored by the real engine and rendered; the PDF text (and the
DOCX text) must hold no intake field path and no answer code. Screening, blank money and the
funding-only § 889 bar are checked end to end through the web app where the database matters.
"""
from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pdfua
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from riskdesk.engine import yamlsafe
from riskdesk.engine.checklists.loader import load_release
from riskdesk.engine.document import load_path, normalize
from riskdesk.engine.labels import intake_fields
from riskdesk.engine.report import render
from riskdesk.engine.scoring import score, scoring_summary
from riskdesk.models import ListSnapshot, Proposal
from tests.conftest import PROJECT_ROOT

DEMO = sorted((PROJECT_ROOT / "demo").glob("*.yaml"))
SCENARIOS = sorted((PROJECT_ROOT / "tests" / "scenarios").glob("*.yaml"))
SECTIONS = sorted({path.split(".")[0].split("[")[0] for path in intake_fields()})
# A dotted intake path ("funding.federal_funds_involved", "people.name") or a snake_case code
# ("agenda_2030_sdgs", "state_owned_enterprise", "legal_federal").
FIELD_PATH = re.compile(r"\b(?:" + "|".join(SECTIONS) + r")(?:\[\])?\.[a-z_]+\b")
SNAKE_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def codes_in(text: str) -> list[str]:
    return sorted(set(FIELD_PATH.findall(text)) | set(SNAKE_CODE.findall(text)))


def pdf_text(data: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def release():
    return load_release(PROJECT_ROOT / "checklists")


def case(path: Path):
    data = yamlsafe.load(path.read_text(encoding="utf-8"))
    if "document" in data:  # a scenario: the document and the date it is assessed on
        return normalize(data["document"]), data.get("on")
    return load_path(path), None


def render_case(path: Path, release) -> tuple[bytes, dict]:
    import datetime as dt

    document, on = case(path)
    on = dt.date.fromisoformat(str(on)) if on else dt.date(2026, 11, 26)
    result = score(document, release, on=on).to_dict()
    pdf = render.render_report(document, result, release={"hash": release.hash},
                               scoring=scoring_summary(release.scoring))
    return pdf, result


def test_the_detector_finds_paths_and_codes():
    assert codes_in("because funding.federal_funds_involved is yes") == ["federal_funds_involved",
                                                                          "funding.federal_funds_involved"]
    assert codes_in("commitments.un_agendas is agenda_2030_sdgs") == ["agenda_2030_sdgs", "commitments.un_agendas",
                                                                      "un_agendas"]
    assert codes_in("Answer people.name to decide") == ["people.name"]
    assert codes_in("Federal funds involved: Yes; the UN 2030 Agenda / SDGs; 2 CFR 200.216; cdc.gov") == []


@pytest.mark.parametrize("path", DEMO + SCENARIOS, ids=lambda p: p.stem)
def test_no_field_path_or_answer_code_in_any_report(path, release):
    pdf, result = render_case(path, release)
    text = pdf_text(pdf)
    assert codes_in(text) == [], f"{path.name}: {codes_in(text)}"
    for question in result["open_questions"]:
        assert codes_in(question) == []


@pytest.mark.parametrize("path", DEMO, ids=lambda p: p.stem)
def test_demo_reports_pass_the_pdfua_checker(path, release):
    pdf, _ = render_case(path, release)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        report = pdfua.validate(fh.name)
    assert [(f.rule_id, f.severity.name, f.message) for f in report.findings] == []


def test_a_funding_only_bar_names_what_is_barred_and_that_the_tie_is_not(release):
    pdf, result = render_case(PROJECT_ROOT / "tests" / "scenarios" / "23_ca_smart_city_huawei_federal.yaml", release)
    barred = {f["id"]: f["bars"] for f in result["findings"] if f["effect"] == "prohibition"}
    assert barred and set(barred.values()) == {"federal_funds"}
    text = flat(pdf_text(pdf))
    assert "Federal funds may not pay for part of this proposal; the tie itself is not barred." in text
    assert ("Federal funds may not buy Huawei or ZTE telecommunications equipment (NDAA § 889; 2 CFR 200.216); "
            "the tie itself is not barred.") in text
    assert "Do not sign" not in text


def test_an_agreement_bar_says_the_agreement_itself_is_barred(release):
    pdf, _ = render_case(PROJECT_ROOT / "tests" / "scenarios" / "02_tx_china_sister_city_new.yaml", release)
    text = flat(pdf_text(pdf))
    assert "Do not sign: the law bars this agreement as proposed." in text
    assert "the agreement itself is barred as proposed. Conditions of approval cannot lift this bar." in text


def test_legal_bars_prohibitions_first_then_requirements_most_severe_first(release):
    document, _ = case(PROJECT_ROOT / "tests" / "scenarios" / "23_ca_smart_city_huawei_federal.yaml")
    result = score(document, release).to_dict()
    bars = render.build_context(document, result)["bars"]
    effects = [f["effect"] for f in bars]
    assert effects == sorted(effects, key=["prohibition", "requirement"].index) and effects[0] == "prohibition"
    for effect in ("prohibition", "requirement"):
        ranks = [["critical", "high", "moderate", "low"].index(f["severity"]) for f in bars if f["effect"] == effect]
        assert ranks == sorted(ranks)


# -- through the web app: screening as it was run, blank money --------------------------------


def form_data(document: dict, **extra) -> dict:
    from tests.test_web import form_data as web_form_data

    return web_form_data(document, **extra)


def _new_assessed(client, db_session, document) -> int:
    client.post("/proposals/new", form_data(document, save="1"), token_from="/proposals/new")
    proposal = db_session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
    client.post(f"/proposals/{proposal.id}/assess")
    return proposal.id


def _sdn_lines(n: int) -> bytes:
    from tests.conftest import shared_dir

    sdn = (shared_dir() / "data" / "ofac-sdn-2024-05-03.csv").read_bytes()
    return b"".join(sdn.splitlines(keepends=True)[:n])


def test_screening_sentence_matches_what_was_screened(as_staff, published, db_session):
    from riskdesk.screening import services as screening_service

    clean = load_path(DEMO[0])
    # 1. no list imported: not screened, and the report says so
    pid = _new_assessed(as_staff, db_session, clean)
    text = flat(pdf_text(as_staff.get(f"/proposals/{pid}/report.pdf").data))
    assert "Not screened: no restricted-party list had been imported when this proposal was assessed" in text
    # 2. a list imported, nothing resembles: screened, no potential matches
    screening_service.import_list(db_session, _sdn_lines(200), "sdn", filename="sdn.csv")
    db_session.commit()
    snapshot = db_session.scalars(select(ListSnapshot)).one()
    pid = _new_assessed(as_staff, db_session, clean)
    text = flat(pdf_text(as_staff.get(f"/proposals/{pid}/report.pdf").data))
    parties = len(db_session.get(Proposal, pid).parties)
    assert f"{parties} name" in text and "were screened on" in text or "was screened on" in text
    assert f"{snapshot.source} ({snapshot.record_count:,} records, imported {snapshot.imported_at:%Y-%m-%d})" in text
    assert "No potential matches." in text and "Not screened" not in text
    # 3. a possible match, adjudicated: counted by outcome, with the decision
    document = dict(clean, partner={"name": "Banco Nacional de Cuba", "country": "CU"})
    pid = _new_assessed(as_staff, db_session, document)
    page = as_staff.get(f"/proposals/{pid}").get_data(as_text=True)
    hit_id = int(re.search(r"/screening/(\d+)/adjudicate", page).group(1))
    as_staff.post(f"/screening/{hit_id}/adjudicate", {"verdict": "false_positive", "note": "Checked: different bank"})
    text = flat(pdf_text(as_staff.get(f"/proposals/{pid}/report.pdf").data))
    assert re.search(r"1 potential match: 0 confirmed, 1 cleared as false positive, 0 not yet reviewed\.", text), text
    assert "Checked: different bank" in text and "No potential matches" not in text


def test_blank_money_stays_blank_through_form_export_and_report(as_staff, published, db_session):
    document = load_path(DEMO[0])
    document["funding"] = {k: v for k, v in document["funding"].items() if not k.endswith("_usd")}
    data = form_data(document, save="1")
    data["document-funding-city_cost_usd"] = ""
    data["document-funding-partner_funding_usd"] = ""
    as_staff.post("/proposals/new", data, token_from="/proposals/new")
    proposal = db_session.scalars(select(Proposal)).one()
    assert proposal.document["funding"]["partner_funding_usd"] is None
    assert proposal.document["funding"]["city_cost_usd"] is None
    exported = as_staff.get(f"/proposals/{proposal.id}/export.yaml").get_data(as_text=True)
    assert yamlsafe.load(exported)["funding"]["partner_funding_usd"] is None
    as_staff.post(f"/proposals/{proposal.id}/assess")
    text = flat(pdf_text(as_staff.get(f"/proposals/{proposal.id}/report.pdf").data))
    assert re.search(r"Funding (?:(?!Data and technology).)*Not given: Cost to the city \(USD\); "
                     r"Funding from the partner \(USD\)\.", text), text
    assert "$0" not in text


# -- the Word copy --------------------------------------------------------------------------


def docx_text(data: bytes) -> tuple[str, list[str]]:
    """All paragraph and table text of a DOCX, and its headings in order."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    parts += [p.text for p in doc.sections[0].header.paragraphs]
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    return " ".join(parts), headings


@pytest.mark.parametrize("path", DEMO + SCENARIOS[:6], ids=lambda p: p.stem)
def test_docx_has_no_field_path_or_answer_code_and_the_pdf_headings(path, release):
    from riskdesk.engine.report.docx_writer import SECTION_HEADINGS, render_docx

    document, on = case(path)
    result = score(document, release).to_dict()
    kw = {"release": {"hash": release.hash}, "scoring": scoring_summary(release.scoring),
          "status": "ISSUED", "report_number": "RD-7-2", "issued_at": "2026-11-26 10:00 UTC"}
    text, headings = docx_text(render_docx(document, result, **kw))
    assert codes_in(text) == [], f"{path.name}: {codes_in(text)}"
    assert [h for h in headings if h in SECTION_HEADINGS] == list(SECTION_HEADINGS)
    pdf = flat(pdf_text(render.render_report(document, result, **kw)))
    for heading in SECTION_HEADINGS:
        assert heading in pdf
    for words in (release.hash, "Report RD-7-2", render.build_context(document, result, **kw)["screening"]["sentence"]):
        assert squash(words) in squash(text) and squash(words) in squash(pdf)  # a long hash wraps anywhere


def test_issued_report_has_a_word_copy_with_the_same_number_and_hash(as_staff, published, db_session):
    import hashlib

    from riskdesk.council.reports import issued_docx
    from riskdesk.models import Report

    pid = _new_assessed(as_staff, db_session, load_path(DEMO[0]))
    assert as_staff.post(f"/proposals/{pid}/issue").status_code in (302, 303)
    report = db_session.scalars(select(Report)).one()
    pdf = flat(pdf_text(as_staff.get(f"/reports/{report.id}.pdf").data))
    response = as_staff.get(f"/reports/{report.id}.docx")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    name, sha256 = issued_docx(db_session, report)
    assert hashlib.sha256(response.data).hexdigest() == sha256 == response.headers["ETag"]
    text = flat(docx_text(response.data)[0])
    number = f"RD-{pid}-1"
    for words in (f"Report {number}", published.hash):
        assert squash(words) in squash(pdf) and squash(words) in squash(text)
    draft = as_staff.get(f"/proposals/{pid}/report.docx")
    assert draft.status_code == 200 and "DRAFT" in docx_text(draft.data)[0]
