"""One proposal from creation to an issued report through the API alone; lists, screening and adjudication."""
from __future__ import annotations

import copy
import hashlib

from tests.api.conftest import scenario_document
from tests.conftest import shared_dir

SDN = shared_dir() / "data" / "ofac-sdn-2024-05-03.csv"


def test_a_proposal_from_creation_to_an_issued_report(api, published):
    staff, council, admin = api["staff"], api["council"], api["admin"]
    lines = SDN.read_text(encoding="utf-8").splitlines(keepends=True)[:50]
    imported = admin.post("/lists", json={"format": "sdn", "filename": "sdn-head.csv", "content": "".join(lines)})
    assert imported.status_code == 201, imported.get_data(as_text=True)
    assert [s["active"] for s in admin.get("/lists").get_json()["snapshots"]] == [True]

    document = copy.deepcopy(scenario_document())
    document["intermediaries"] = [{"name": "Banco Nacional de Cuba", "country": "CU", "role": "payment agent"}]
    created = staff.post("/proposals", json=document)
    assert created.status_code == 201, created.get_data(as_text=True)
    proposal = created.get_json()
    base = f"/proposals/{proposal['id']}"

    assessed = staff.post(f"{base}/assess").get_json()
    hits = staff.get(f"{base}/hits").get_json()["hits"]
    assert hits and hits[0]["matched_name"].upper().startswith("BANCO NACIONAL DE CUBA")
    decided = staff.post(f"/hits/{hits[0]['id']}/adjudication",
                         json={"verdict": "false_positive", "note": "Paid through a local bank; not this bank."})
    assert decided.status_code == 201 and decided.get_json()["adjudication"]["verdict"] == "false_positive"

    for step, client in (("submitted", staff), ("in_review", staff)):
        moved = client.post(f"{base}/transitions", json={"to_status": step, "reason": ""})
        assert moved.status_code == 201, moved.get_data(as_text=True)
    no_reason = council.post(f"{base}/transitions", json={"to_status": "approved", "reason": " "})
    assert no_reason.status_code == 422 and no_reason.get_json()["errors"] == [
        {"path": "reason", "message": "a decision needs a reason."}]
    staff_decides = staff.post(f"{base}/transitions", json={"to_status": "approved", "reason": "Fine."})
    assert staff_decides.status_code == 409
    approved = council.post(f"{base}/transitions", json={"to_status": "approved", "reason": "Low risk; goals clear."})
    assert approved.status_code == 201 and approved.get_json()["by"] == "carl"
    history = council.get(f"{base}/transitions").get_json()
    assert history["status"] == "approved" and [t["to_status"] for t in history["transitions"]] == [
        "submitted", "in_review", "approved"]

    issued = staff.post(f"{base}/reports")
    assert issued.status_code == 201, issued.get_data(as_text=True)
    report = issued.get_json()
    assert report["assessment_id"] == assessed["id"]
    assert council.get(f"/reports/{report['id']}").get_json() == report
    pdf = council.get(f"/reports/{report['id']}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert hashlib.sha256(pdf.data).hexdigest() == report["sha256"] == pdf.headers["ETag"].strip('"')
    assert council.get(f"{base}/reports").get_json()["reports"] == [report]

    events = admin.get("/audit?action=report.").get_json()["events"]
    assert [e["action"] for e in events] == ["report.issue"] and events[0]["actor"] == "stella"
    csv_text = admin.client.get("/api/v1/audit.csv", headers=admin.headers()).get_data(as_text=True)
    assert csv_text.startswith("id,at,actor,action") and "screening.adjudicate" in csv_text


def test_mitigation_and_residual_rating(api, published):
    staff = api["staff"]
    proposal = staff.post("/proposals", json=scenario_document("02_tx_china_sister_city_new.yaml")).get_json()
    base = f"/proposals/{proposal['id']}"
    refused = staff.post(f"{base}/mitigations", json={"item_id": "X", "mitigation": "y"})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["path"] == "item_id"
    findings = staff.post(f"{base}/assess").get_json()["result"]["findings"]
    accepted = staff.post(f"{base}/mitigations", json={"item_id": findings[0]["id"], "mitigation": "Legal review"})
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
    body = accepted.get_json()
    assert [m["item_id"] for m in body["mitigations"]] == [findings[0]["id"]] and body["residual"] is not None


def test_screen_a_batch_of_names_and_checklist_releases(api, published):
    admin, staff = api["admin"], api["staff"]
    assert staff.post("/screen", json={"names": [{"name": "Anyone"}]}).status_code == 409
    lines = SDN.read_text(encoding="utf-8").splitlines(keepends=True)[:50]
    assert admin.post("/lists", json={"format": "sdn", "filename": "a.csv", "content": "".join(lines)}).status_code == 201
    bad = admin.post("/lists", json={"format": "sdn", "filename": "b.csv", "content": '36,"X",-0- ,"CUBA"\n'})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["path"] == "content"
    screened = staff.post("/screen", json={"names": [{"name": "Aerocaribbean Airlines"}, {"name": "Kilkenny Council"}]})
    results = screened.get_json()["results"]
    assert results[0]["hits"] and results[0]["hits"][0]["entry_uid"] and results[1]["hits"] == []

    active = admin.get("/releases/active").get_json()
    assert active["id"] == published.id and active["hash"] == published.hash and active["contents"]
    assert admin.get(f"/releases/{published.id}").get_json()["files"] == sorted(published.files)
    assert [r["id"] for r in admin.get("/releases").get_json()["releases"]] == [published.id]
    valid = admin.post("/releases/validate", json={"files": published.files}).get_json()
    assert valid == {"valid": True, "hash": published.hash, "item_count": published.item_count, "problems": []}
    broken = dict(published.files)
    name = sorted(broken)[0]
    broken[name] = "items: [this is: not, a checklist"
    invalid = admin.post("/releases/validate", json={"files": broken}).get_json()
    assert invalid["valid"] is False and invalid["problems"][0]["path"].startswith(f"files.{name}")
