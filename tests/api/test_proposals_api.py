"""Proposals through the API: the same services, filters, messages and version check as the pages."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

from sqlalchemy import select

from riskdesk.engine.document import validate
from riskdesk.models import AuditEvent, Proposal
from tests.api.conftest import scenario_document
from tests.conftest import PROJECT_ROOT

PROBLEM = "application/problem+json"


def test_create_read_and_list_with_the_page_filters(api, db_session):
    created = api["staff"].post("/proposals", json=scenario_document())
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["title"] == "Sister city with Kilkenny" and body["city_state"] == "AR" and body["is_complete"]
    assert created.headers["ETag"] == f'"{body["version"]}"'
    assert created.headers["Location"].endswith(f"/api/v1/proposals/{body['id']}")
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.create")).one()
    assert event.actor == "stella" and "(API)" in event.summary

    other = scenario_document("02_tx_china_sister_city_new.yaml")
    assert api["staff"].post("/proposals", json=other).status_code == 201
    listed = api["council"].get("/proposals?state=AR").get_json()
    assert [p["title"] for p in listed["proposals"]] == ["Sister city with Kilkenny"] and listed["total"] == 1
    assert api["council"].get("/proposals?q=kilkenny").get_json()["total"] == 1
    page2 = api["council"].get("/proposals?per_page=1&page=2").get_json()
    assert page2["page"] == 2 and page2["pages"] == 2 and len(page2["proposals"]) == 1
    read = api["council"].get(f"/proposals/{body['id']}")
    assert read.status_code == 200 and read.get_json()["document"]["partner"]["country"] == "IE"


def test_invalid_document_names_every_field_with_the_pages_messages(api):
    document = scenario_document()
    document["partner"]["country"] = "XX"
    del document["city"]
    refused = api["staff"].post("/proposals", json=document)
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    problem = refused.get_json()
    expected = [{"path": p.path, "message": p.message} for p in validate(document)]
    assert problem["errors"] == expected and {e["path"] for e in expected} >= {"city", "partner.country"}
    assert problem["status"] == 422 and problem["title"] and "partner.country" in problem["detail"]


def test_draft_may_miss_answers_but_not_have_wrong_ones(api):
    assert api["staff"].post("/proposals?draft=true", json={"title": "Early idea"}).status_code == 201
    wrong = api["staff"].post("/proposals?draft=true", json={"title": "Early idea", "partner": {"country": "XX"}})
    assert wrong.status_code == 422 and [e["path"] for e in wrong.get_json()["errors"]] == ["partner.country"]


def test_update_needs_the_current_version_and_a_stale_one_loses_nothing(api, db_session):
    created = api["staff"].post("/proposals", json=scenario_document()).get_json()
    path, etag = f"/proposals/{created['id']}", f'"{created["version"]}"'
    first = copy.deepcopy(created["document"])
    first["summary"] = "First editor's summary."
    saved = api["staff"].put(path, json=first, headers={"If-Match": etag})
    assert saved.status_code == 200 and saved.headers["ETag"] != etag

    second = copy.deepcopy(created["document"])
    second["summary"] = "Second editor, working from the old version."
    stale = api["admin"].put(path, json=second, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    assert stale.headers["ETag"] == saved.headers["ETag"] and "nothing was saved" in stale.get_json()["detail"]
    db_session.expire_all()
    assert db_session.get(Proposal, created["id"]).document["summary"] == "First editor's summary."

    missing = api["staff"].put(path, json=second)
    assert missing.status_code == 428 and missing.get_json()["errors"][0]["path"] == "If-Match"
    garbled = api["staff"].put(path, json=second, headers={"If-Match": "yesterday"})
    assert garbled.status_code == 400


def test_bodies_must_be_json_and_not_too_large(app, api):
    as_text = api["staff"].client.post("/api/v1/proposals", data="title: x", headers={
        **api["staff"].headers(), "Content-Type": "text/yaml"})
    assert as_text.status_code == 415 and as_text.mimetype == PROBLEM
    broken = api["staff"].client.post("/api/v1/proposals", data="{not json", headers={
        **api["staff"].headers(), "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.mimetype == PROBLEM
    app.config["MAX_CONTENT_LENGTH"] = 1000
    huge = api["staff"].post("/proposals/validate", json={"title": "x" * 5000})
    assert huge.status_code == 413 and huge.mimetype == PROBLEM


def test_unknown_proposal_is_a_404_problem(api):
    missing = api["staff"].get("/proposals/999999")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    assert missing.get_json()["detail"] == "There is no proposal 999999."


def test_validate_lists_problems_without_saving(api, db_session):
    answer = api["council"].post("/proposals/validate", json={"title": "ab"}).get_json()
    assert answer["valid"] is False and {"path": "title", "message": "must be at least 3 characters"} in answer["problems"]
    assert api["council"].post("/proposals/validate", json=scenario_document()).get_json() == {"valid": True,
                                                                                              "problems": []}
    assert db_session.scalars(select(Proposal)).all() == []


def test_assess_gives_the_same_result_json_as_the_cli(api, published, tmp_path):
    created = api["staff"].post("/proposals", json=scenario_document()).get_json()
    assessed = api["staff"].post(f"/proposals/{created['id']}/assess")
    assert assessed.status_code == 201, assessed.get_data(as_text=True)
    result = assessed.get_json()["result"]
    document_file = tmp_path / "document.json"
    document_file.write_text(json.dumps(scenario_document()), encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "riskdesk", "assess", str(document_file)], capture_output=True,
                         text=True, cwd=PROJECT_ROOT, timeout=120, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert cli.returncode == 0, cli.stderr
    assert result == json.loads(cli.stdout)
    assert assessed.get_json()["rating"] == result["rating"] == "low"

    findings = api["council"].get(f"/proposals/{created['id']}/findings").get_json()
    assert findings["findings"] == result["findings"]
    questions = api["council"].get(f"/proposals/{created['id']}/open-questions").get_json()
    assert questions["open_questions"] == result["open_questions"]
    history = api["council"].get(f"/proposals/{created['id']}/assessments").get_json()["assessments"]
    assert [a["id"] for a in history] == [assessed.get_json()["id"]] and history[0]["stale"] is False


def test_assess_refuses_an_incomplete_proposal(api, published):
    draft = api["staff"].post("/proposals?draft=true", json={"title": "Early idea"}).get_json()
    refused = api["staff"].post(f"/proposals/{draft['id']}/assess")
    assert refused.status_code == 422 and "city.name" in {e["path"] for e in refused.get_json()["errors"]}
    assert api["staff"].get(f"/proposals/{draft['id']}/findings").status_code == 404


def test_what_the_fuzzer_found_is_refused_cleanly(api):
    """Ids past 32 bits, NUL characters and non-object bodies: 4xx problems, not server errors."""
    assert api["staff"].get(f"/proposals/{2**40}").status_code == 404
    nul_query = api["staff"].get("/proposals?q=a%00b")
    assert nul_query.status_code == 422 and nul_query.get_json()["errors"] == [
        {"path": "q", "message": "must not contain NUL characters"}]
    document = scenario_document()
    document["partner"]["name"] = "Kilkenny\x00"
    nul_body = api["staff"].post("/proposals", json=document)
    assert nul_body.status_code == 422 and nul_body.get_json()["errors"][0]["path"] == "partner.name"
    for body in ("", [], 3):
        refused = api["staff"].post("/proposals/validate", json=body)
        assert refused.status_code == 422 and refused.get_json()["errors"][0]["message"] == "must be a JSON object"
