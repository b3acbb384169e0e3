"""The hostile-input corpus (tests/hostile) through every entry point: a clear 400 or exit 2, never a 500.

Entry points: intake import, the intake form (with an attachment), the ``validate`` command,
checklist upload, list import, attachments, and the audit CSV export (formulas neutralised).
Every test that touches the database runs on SQLite and PostgreSQL (the ``app`` fixture).
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from riskdesk.engine import csvsafe
from riskdesk.models import ChecklistRelease, ListSnapshot, Proposal
from riskdesk.proposals.attachments import AttachmentError, extract_text
from riskdesk.users import services as user_services
from tests import hostile
from tests.conftest import PROJECT_ROOT
from tests.test_web import form_data


def _count(db_session, model) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model))


def _upload(client, url: str, field: str, name: str, data: bytes, token_from: str = "", **extra):
    return client.post(url, {field: (io.BytesIO(data), name), **extra}, token_from=token_from or url,
                       content_type="multipart/form-data")


@pytest.mark.parametrize("payload", hostile.DOCUMENTS, ids=lambda p: p.name)
def test_hostile_intake_imports_are_a_400_naming_the_problem(as_staff, db_session, payload):
    response = _upload(as_staff, "/proposals/import", "file", payload.name, payload.build().encode("utf-8",
                                                                                                 "surrogatepass"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:500]
    assert payload.expect in page
    assert _count(db_session, Proposal) == 0


@pytest.mark.parametrize("payload", hostile.DOCUMENTS, ids=lambda p: p.name)
def test_hostile_intake_files_make_validate_exit_2(tmp_path, payload):
    path = tmp_path / payload.name
    path.write_bytes(payload.build().encode("utf-8", "surrogatepass"))
    done = subprocess.run([sys.executable, "-m", "riskdesk", "validate", str(path)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert payload.expect in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("field, value, expect", hostile.FORM_VALUES)
def test_hostile_form_values_are_a_400_and_nothing_is_stored(as_staff, db_session, field, value, expect):
    data = form_data(hostile.base_document(), save="1")
    data[field] = value
    response = as_staff.post("/proposals/new", data, token_from="/proposals/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:500]
    assert expect in page and "$nan" not in page
    assert _count(db_session, Proposal) == 0


@pytest.mark.parametrize("name, build, expect", hostile.ATTACHMENTS, ids=[a[0] for a in hostile.ATTACHMENTS])
def test_hostile_attachments_are_refused_naming_the_file(name, build, expect):
    with pytest.raises(AttachmentError) as refused:
        extract_text(name, build(), 10 * 1024 * 1024)
    assert name in str(refused.value) and expect in str(refused.value)


@pytest.mark.parametrize("name, build, expect", [a for a in hostile.ATTACHMENTS
                                                 if a[0] in ("malformed.docx", "encrypted-v9.pdf", "entities.docx")])
def test_hostile_attachments_through_the_form_are_a_400(as_staff, db_session, name, build, expect):
    data = form_data(hostile.base_document(), save="1")
    data["attachment"] = (io.BytesIO(build()), name)
    response = as_staff.post("/proposals/new", data, token_from="/proposals/new", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and expect in page
    assert _count(db_session, Proposal) == 0


@pytest.mark.parametrize("payload", hostile.LISTS, ids=lambda p: p.name)
def test_hostile_list_files_are_a_400_and_the_active_snapshot_is_unchanged(as_admin, db_session, payload):
    response = _upload(as_admin, "/admin/lists", "file", payload.name, payload.build().encode("utf-8",
                                                                                             "surrogatepass"),
                       format="csl")
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:500]
    assert payload.expect in page and payload.name in page
    assert _count(db_session, ListSnapshot) == 0


def test_csl_json_alt_names_as_objects_are_imported(as_admin, db_session):
    record = {**hostile.CSL_RECORD, "alt_names": [{"name": "HTE Trading", "type": "a.k.a."}, "Hostile Co", None]}
    response = _upload(as_admin, "/admin/lists", "file", "csl.json", hostile.csl_json([record]), format="csl")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    from riskdesk.engine.screening.importers import parse_bytes

    entry = parse_bytes(hostile.csl_json([record]), "csl").entries[0]
    assert entry.aliases == ("HTE Trading", "Hostile Co")


@pytest.mark.parametrize("payload", hostile.CHECKLISTS, ids=["deep", "large", "nul"])
def test_hostile_checklist_uploads_are_a_400_and_nothing_is_published(as_admin, db_session, published, payload):
    response = _upload(as_admin, "/admin/checklists/edit", "upload", payload.name, payload.build().encode(),
                       token_from="/admin/checklists", file=payload.name, action="publish")
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:500]
    assert payload.expect in page
    assert _count(db_session, ChecklistRelease) == 1


@pytest.mark.parametrize("name", hostile.BAD_CHECKLIST_NAMES)
def test_checklist_file_names_outside_the_safe_pattern_are_refused(as_admin, db_session, published, name):
    text = published.files["states/TX.yaml"]
    response = as_admin.post("/admin/checklists/edit", {"file": name, "text": text, "action": "publish"},
                             token_from="/admin/checklists")
    assert response.status_code == 400
    assert "file:" in response.get_data(as_text=True)
    assert _count(db_session, ChecklistRelease) == 1


@pytest.mark.parametrize("formula", hostile.FORMULAS)
def test_neutralise_leaves_no_cell_starting_a_formula(formula):
    [row] = list(csv.reader(io.StringIO(csvsafe.csv_text(["a", "b"], [[formula, 7]]), newline="")))[1:]
    assert row[0] == "'" + formula and row[1] == "7"
    assert not row[0].startswith(csvsafe.FORMULA_TRIGGERS)


def test_the_audit_csv_neutralises_formulas_in_names_and_summaries(as_admin, db_session):
    for formula in hostile.FORMULAS:
        as_admin.client.application  # noqa: B018 - the admin's app
        with pytest.raises(user_services.UserError):  # a formula is no valid username ...
            user_services.create_user(db_session, formula, "a long enough passphrase 9", ["staff"])
    db_session.rollback()
    # ... but failed sign-ins record whatever was typed, and that reaches the CSV
    for formula in hostile.FORMULAS:
        from tests.conftest import Browserless

        Browserless(as_admin.client.application.test_client()).login(formula.strip() or formula, "x" * 12)
    text = as_admin.get("/admin/audit.csv").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    summaries = [c for c in cells if "HYPERLINK" in c]
    assert summaries, "the failed sign-in with a formula is in the export"
    assert not [c for c in cells if c.startswith(csvsafe.FORMULA_TRIGGERS)]


def test_export_of_a_stored_document_is_valid_json(as_staff, db_session):
    """The NaN that used to be stored made the export invalid JSON; a valid document exports cleanly."""
    response = _upload(as_staff, "/proposals/import", "file", "ok.json", json.dumps(hostile.base_document()).encode())
    assert response.status_code in (302, 303)
    proposal_id = db_session.scalars(select(Proposal.id)).one()
    exported = as_staff.get(f"/proposals/{proposal_id}/export.json").get_data(as_text=True)
    json.loads(exported, parse_constant=lambda name: pytest.fail(f"{name} in export"))
