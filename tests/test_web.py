"""Web behaviour through the Flask test client, on SQLite and PostgreSQL (see conftest)."""
import hashlib
import io
import json
import re

import pytest
import yaml
from sqlalchemy import select

from riskdesk.engine.document import dump_yaml, load_path, normalize
from riskdesk.models import AuditEvent, Proposal, Report
from riskdesk.users.access import PUBLIC_ENDPOINTS
from tests.conftest import PROJECT_ROOT

DEMO = sorted((PROJECT_ROOT / "demo").glob("*.yaml"))


def form_data(document: dict, **extra) -> dict:
    """The POST body the intake form sends for ``document``."""
    data = {}

    def walk(value, prefix):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, f"{prefix}-{key}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                walk(row, f"{prefix}-{index}")
        elif isinstance(value, list):
            data[prefix] = value
        else:
            data[prefix] = "" if value is None else str(value)

    walk(document, "document")
    data.update(extra)
    return data


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages).replace("\n", " ")


def import_demo(client, path):
    return client.post("/proposals/import", {"file": (io.BytesIO(path.read_bytes()), path.name)},
                       token_from="/proposals/import", content_type="multipart/form-data")


def sample_url_args(rule):
    return {arg: 1 if "id" in arg else "yaml" if arg == "fmt" else "scoring.yaml" for arg in rule.arguments}


def test_every_route_refuses_anonymous_and_wrong_roles(app, web, users, as_council):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, "allowed_roles", None)
        assert allowed, f"{rule.endpoint} declares no roles"
        url = rule.build(sample_url_args(rule))[1] if rule.arguments else rule.rule
        method = "GET" if "GET" in rule.methods else "POST"
        response = web.client.open(url, method=method, data={"csrf_token": web.token("/auth/login")})
        if rule.endpoint.startswith("api."):
            # The API answers 401 (Bearer tokens only; a session never opens it); its role walk with
            # tokens, 401 and 403 for every method, is in tests/api/test_tokens_and_access.py.
            for api_method in rule.methods - {"HEAD", "OPTIONS"}:
                assert web.client.open(url, method=api_method).status_code == 401, rule.endpoint
            continue
        assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"], rule.endpoint
        if "council" not in allowed:
            response = as_council.client.open(url, method=method,
                                              data={"csrf_token": as_council.token("/council")})
            assert response.status_code == 403, f"council reached {rule.endpoint}"


def test_post_without_csrf_token_is_refused(as_staff):
    response = as_staff.client.post("/proposals/new", data={"document-title": "No token here"})
    assert response.status_code == 400 and b"security token" in response.data


def test_security_headers(web):
    response = web.get("/auth/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_wrong_password_is_refused_and_audited(web, users, db_session):
    response = web.login("stella", "not the password at all")
    assert response.status_code == 401 and b"Wrong username or password" in response.data
    assert db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user.login_failed")).first()


def test_create_edit_and_every_answer_comes_back(as_staff, db_session):
    document = load_path(DEMO[1])
    response = as_staff.post("/proposals/new", form_data(document, save="1"), token_from="/proposals/new")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    proposal = db_session.scalars(select(Proposal)).one()
    assert proposal.document == normalize(document)
    assert {p.kind for p in proposal.parties} == {"partner", "intermediary", "person", "vendor"}
    page = as_staff.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    assert 'value="Example Ports Group Co., Ltd."' in page.replace("&#39;", "'")
    assert 'name="version_id" value="1"' in page
    changed = dict(document, title="Port MoU, revised")
    response = as_staff.post(f"/proposals/{proposal.id}/edit", form_data(changed, save="1", version_id="1"),
                             token_from="/proposals/new")
    assert response.status_code in (302, 303)
    db_session.expire_all()
    assert db_session.get(Proposal, proposal.id).title == "Port MoU, revised"


def test_bad_input_keeps_every_answer_and_marks_fields(as_staff, db_session):
    document = load_path(DEMO[0])
    data = form_data(document, save="1")
    data["document-partner-name"] = ""
    data["document-city-population"] = "lots"
    response = as_staff.post("/proposals/new", data, token_from="/proposals/new")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="document-partner-name-error"' in page
    assert 'id="document-city-population-error"' in page and 'value="lots"' in page
    assert 'value="Corvallis"' in page and "Either party may end this agreement" in page
    assert db_session.scalars(select(Proposal)).first() is None


def test_draft_can_be_saved_incomplete(as_staff, db_session):
    response = as_staff.post("/proposals/new", {"document-title": "Early idea: Kyoto", "save_draft": "1"},
                             token_from="/proposals/new")
    assert response.status_code in (302, 303)
    proposal = db_session.scalars(select(Proposal)).one()
    assert proposal.title == "Early idea: Kyoto" and not proposal.is_complete and proposal.status == "draft"
    refused = as_staff.post(f"/proposals/{proposal.id}/assess")
    assert refused.status_code == 400 and b"cannot be assessed until it is complete" in refused.data
    assert b"partner.name: is required" in refused.data


def test_second_editor_gets_a_conflict_and_keeps_what_they_typed(as_staff, db_session):
    document = load_path(DEMO[0])
    as_staff.post("/proposals/new", form_data(document, save="1"), token_from="/proposals/new")
    proposal = db_session.scalars(select(Proposal)).one()
    first = dict(document, title="First editor's title")
    assert as_staff.post(f"/proposals/{proposal.id}/edit", form_data(first, save="1", version_id="1"),
                         token_from="/proposals/new").status_code in (302, 303)
    second = dict(document, title="Second editor's title")
    response = as_staff.post(f"/proposals/{proposal.id}/edit", form_data(second, save="1", version_id="1"),
                             token_from="/proposals/new")
    assert response.status_code == 409
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert "Someone else saved this proposal" in page and "Second editor's title" in page
    db_session.expire_all()
    assert db_session.get(Proposal, proposal.id).title == "First editor's title"


def test_attachment_text_is_extracted(as_staff, db_session):
    document = load_path(DEMO[0])
    data = form_data(document, save="1")
    data["attachment"] = (io.BytesIO(b"The Partner shall have exclusive rights to city data."), "draft.txt")
    response = as_staff.post("/proposals/new", data, token_from="/proposals/new", content_type="multipart/form-data")
    assert response.status_code in (302, 303)
    assert db_session.scalars(select(Proposal)).one().document["agreement"]["text"].startswith("The Partner shall")
    data["attachment"] = (io.BytesIO(b"MZ\x90\x00binary"), "draft.exe")
    response = as_staff.post("/proposals/new", data, token_from="/proposals/new", content_type="multipart/form-data")
    assert response.status_code == 400 and b"is not a PDF, DOCX or plain-text file" in response.data


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_import_export_round_trip(as_staff, db_session, fmt):
    for path in DEMO:
        assert import_demo(as_staff, path).status_code in (302, 303)
    for proposal, path in zip(db_session.scalars(select(Proposal).order_by(Proposal.id)), DEMO):
        exported = as_staff.get(f"/proposals/{proposal.id}/export.{fmt}").get_data(as_text=True)
        data = json.loads(exported) if fmt == "json" else yaml.safe_load(exported)
        assert data == load_path(path)
        # the form shows exactly what was imported: saving it unchanged changes nothing
        as_staff.post(f"/proposals/{proposal.id}/edit", form_data(data, save="1", version_id=str(proposal.version_id)),
                      token_from="/proposals/new")
        db_session.expire_all()
        assert db_session.get(Proposal, proposal.id).document == data


def test_import_rejects_bad_files_naming_fields(as_staff, db_session):
    bad = dump_yaml({"title": "x", "city": {"name": "A", "state": "ZZ"}, "agreement": {"type": "mou"},
                     "partner": {"name": "P", "country": "XX"}})
    response = as_staff.post("/proposals/import", {"file": (io.BytesIO(bad.encode()), "bad.yaml")},
                             token_from="/proposals/import", content_type="multipart/form-data")
    assert response.status_code == 400
    assert b"partner.country: &#39;XX&#39; is not an ISO 3166-1 country code" in response.data
    assert db_session.scalars(select(Proposal)).first() is None


def test_list_search_filter_and_paginate(app, as_staff, db_session):
    from riskdesk.proposals.services import create_proposal

    base = load_path(DEMO[0])
    for i in range(30):
        create_proposal(db_session, dict(base, title=f"Tie number {i:02d}",
                                         partner=dict(base["partner"], country="JP" if i % 3 == 0 else "FR")))
    db_session.commit()
    page = as_staff.get("/proposals?country=JP").get_data(as_text=True)
    assert "10 proposals" in page
    page = as_staff.get("/proposals?q=number 07").get_data(as_text=True)
    assert "1 proposal." in page and "Tie number 07" in page
    first = as_staff.get("/proposals").get_data(as_text=True)
    assert "page 1 of 2" in first and 'rel="next"' in first
    second = as_staff.get("/proposals?page=2").get_data(as_text=True)
    assert len(re.findall(r"Tie number \d\d", second)) == 5
    # "%" and "_" are searched literally, not as wildcards
    assert "0 proposals" in as_staff.get("/proposals?q=%25").get_data(as_text=True)
    assert "0 proposals" in as_staff.get("/proposals?q=_").get_data(as_text=True)


def test_assess_stores_findings_and_marks_stale_under_a_new_release(as_staff, as_admin, published, db_session):
    import_demo(as_staff, DEMO[1])
    proposal = db_session.scalars(select(Proposal)).one()
    assert as_staff.post(f"/proposals/{proposal.id}/assess").status_code in (302, 303)
    page = as_staff.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Legal bars and requirements" in page and "Why it fired" in page and 'id="stale"' not in page
    db_session.expire_all()
    assessment = db_session.get(Proposal, proposal.id).assessments[-1]
    assert assessment.release_id == published.id and assessment.result["findings"]
    # An administrator publishes a changed release: the old assessment becomes stale.
    text = published.files["scoring.yaml"].replace("overall_thresholds: {moderate: 4, high: 12, critical: 30}",
                                                   "overall_thresholds: {moderate: 2, high: 3, critical: 4}")
    assert text != published.files["scoring.yaml"]
    response = as_admin.post("/admin/checklists/edit", {"file": "scoring.yaml", "text": text, "action": "publish"},
                             token_from="/admin/checklists")
    assert response.status_code in (302, 303)
    assert 'id="stale"' in as_staff.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    as_staff.post(f"/proposals/{proposal.id}/assess")
    page = as_staff.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert 'id="stale"' not in page and "What changed since the previous assessment" in page


def test_impact_preview_lists_a_flipped_rating_and_malformed_edit_changes_nothing(as_staff, as_admin, published,
                                                                                  db_session):
    import_demo(as_staff, DEMO[3])  # the Freiburg delegation visit: rated moderate for its governance gaps
    text = published.files["scoring.yaml"].replace("overall_thresholds: {moderate: 4, high: 12, critical: 30}",
                                                   "overall_thresholds: {moderate: 50, high: 60, critical: 70}")
    text = text.replace("category_thresholds: {moderate: 3, high: 6, critical: 12}",
                        "category_thresholds: {moderate: 50, high: 60, critical: 70}")
    response = as_admin.post("/admin/checklists/edit", {"file": "scoring.yaml", "text": text, "action": "preview"},
                             token_from="/admin/checklists")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Impact preview" in page
    impact_section = page[page.index("Impact preview"):page.index("</section>", page.index("Impact preview"))]
    assert "Delegation visit from Freiburg on climate planning" in impact_section, impact_section
    assert "rating moderate → low" in impact_section, impact_section
    broken = as_admin.post("/admin/checklists/edit", {"file": "scoring.yaml", "text": "severity_points: [oops",
                                                      "action": "publish"}, token_from="/admin/checklists")
    assert broken.status_code == 400 and b"line" in broken.data and b"cannot be published" in broken.data
    from riskdesk.checklists.releases import active_release

    db_session.expire_all()
    assert active_release(db_session).hash == published.hash


def test_workflow_with_conditions_mitigation_and_residual(as_staff, as_council, published, db_session):
    import_demo(as_staff, DEMO[2])
    proposal = db_session.scalars(select(Proposal)).one()
    pid = proposal.id
    refused = as_staff.post(f"/proposals/{pid}/transition", {"to_status": "submitted", "reason": "ready"})
    assert refused.status_code == 400 and b"Assess the proposal before submitting it." in refused.data
    as_staff.post(f"/proposals/{pid}/assess")
    db_session.expire_all()
    finding = next(f for f in db_session.get(Proposal, pid).assessments[-1].result["findings"]
                   if f["effect"] != "prohibition")
    as_staff.post(f"/proposals/{pid}/mitigate", {"item_id": finding["id"], "mitigation": "No partner-paid travel",
                                                 "note": "agreed with partner"})
    page = as_staff.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "residual rating after accepted mitigations" in page
    assert as_staff.post(f"/proposals/{pid}/transition", {"to_status": "submitted", "reason": "ready"}).status_code in (302, 303)
    # staff may not decide
    assert as_staff.post(f"/proposals/{pid}/transition", {"to_status": "in_review", "reason": "x"}).status_code in (302, 303)
    assert as_staff.post(f"/proposals/{pid}/transition", {"to_status": "approved", "reason": "x"}).status_code == 400
    response = as_council.post(f"/proposals/{pid}/transition",
                               {"to_status": "approved_with_conditions", "reason": "Council vote 5-2",
                                "conditions": "No partner-paid travel\nAnnual report to council"},
                               token_from="/council")
    assert response.status_code in (302, 303)
    db_session.expire_all()
    proposal = db_session.get(Proposal, pid)
    assert proposal.status == "approved_with_conditions"
    assert proposal.conditions == ["No partner-paid travel", "Annual report to council"]
    council_page = as_council.get("/council").get_data(as_text=True)
    assert proposal.title.replace("'", "&#39;") in council_page and "Portfolio" in council_page
    # the issued report carries the decision and its conditions
    assert as_staff.post(f"/proposals/{pid}/issue").status_code in (302, 303)
    report = db_session.scalars(select(Report)).one()
    text = pdf_text(as_staff.get(f"/reports/{report.id}.pdf").data)
    assert "Annual report to council" in text and "Council vote 5-2" in text


def test_issued_report_is_immutable(app, as_staff, published, db_session):
    import_demo(as_staff, DEMO[1])
    pid = db_session.scalars(select(Proposal)).one().id
    as_staff.post(f"/proposals/{pid}/assess")
    assert as_staff.post(f"/proposals/{pid}/issue").status_code in (302, 303)
    report = db_session.scalars(select(Report)).one()
    first = as_staff.get(f"/reports/{report.id}.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    assert hashlib.sha256(first.data).hexdigest() == report.sha256
    assert as_staff.get(f"/reports/{report.id}.pdf").data == first.data


def test_audit_trail_is_append_only_and_exportable(as_staff, as_admin, db_session):
    import_demo(as_staff, DEMO[0])
    events = db_session.scalars(select(AuditEvent)).all()
    assert {"user.login", "proposal.create"} <= {e.action for e in events}
    csv_text = as_admin.get("/admin/audit.csv").get_data(as_text=True)
    assert csv_text.startswith("id,at,actor,action") and "proposal.create" in csv_text
    source = "\n".join(p.read_text() for p in (PROJECT_ROOT / "riskdesk").rglob("*.py"))
    assert not re.search(r"update\(\s*AuditEvent|delete\(\s*AuditEvent|AuditEvent\)\.\s*(update|delete)", source)
    assert not re.search(r"session\.delete\(\s*(event|audit)", source)


def test_admin_uploads_a_pack_file_previews_and_publishes(as_admin, as_staff, published, db_session):
    import_demo(as_staff, DEMO[0])
    pack = """pack: upload-test
title: Uploaded test pack
items:
  - id: UP-SPORTS
    category: governance
    effect: risk
    severity: moderate
    title: Sports exchanges need a chaperone plan
    when: {field: sectors, contains_any: [sports]}
    rationale: Youth sports exchanges need a safeguarding plan before travel.
"""
    response = as_admin.post("/admin/checklists/edit",
                             {"file": "core/uploaded.yaml", "action": "preview",
                              "upload": (io.BytesIO(pack.encode()), "uploaded.yaml")},
                             token_from="/admin/checklists", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "UP-SPORTS" in page and "Impact preview" in page
    assert "Sister-city agreement with Vienne (France)" in page  # the French tie has a sports sector
    response = as_admin.post("/admin/checklists/edit", {"file": "core/uploaded.yaml", "text": pack,
                                                        "action": "publish", "note": "sports pack"},
                             token_from="/admin/checklists")
    assert response.status_code in (302, 303)
    from riskdesk.checklists.releases import active_release

    db_session.expire_all()
    active = active_release(db_session)
    assert "core/uploaded.yaml" in active.files and active.note == "sports pack"
    download = as_admin.get(f"/admin/checklists/{active.id}/core/uploaded.yaml")
    assert download.get_data(as_text=True) == pack


def test_rollback_reactivates_an_earlier_release(as_admin, published, db_session):
    text = published.files["scoring.yaml"].replace("screening_severity: high", "screening_severity: critical")
    as_admin.post("/admin/checklists/edit", {"file": "scoring.yaml", "text": text, "action": "publish"},
                  token_from="/admin/checklists")
    from riskdesk.checklists.releases import active_release

    db_session.expire_all()
    assert active_release(db_session).hash != published.hash
    response = as_admin.post(f"/admin/checklists/{published.id}/activate", token_from="/admin/checklists")
    assert response.status_code in (302, 303)
    db_session.expire_all()
    assert active_release(db_session).hash == published.hash
    actions = [e.action for e in db_session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("checklist.publish") >= 3  # test fixture, edit, roll back


def test_screening_hit_is_adjudicated_on_the_page_and_shown_in_the_report(as_staff, published, db_session):
    from riskdesk.screening import services as screening_service
    from tests.conftest import shared_dir

    sdn = (shared_dir() / "data" / "ofac-sdn-2024-05-03.csv").read_bytes()
    screening_service.import_list(db_session, b"".join(sdn.splitlines(keepends=True)[:200]), "sdn", filename="sdn.csv")
    db_session.commit()
    document = dict(load_path(DEMO[0]), partner={"name": "Banco Nacional de Cuba", "country": "CU"})
    as_staff.post("/proposals/new", form_data(document, save="1"), token_from="/proposals/new")
    pid = db_session.scalars(select(Proposal)).one().id
    as_staff.post(f"/proposals/{pid}/assess")
    page = as_staff.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "BANCO NACIONAL DE CUBA" in page and "Record decision" in page
    hit_id = int(re.search(r'/screening/(\d+)/adjudicate', page).group(1))
    refused = as_staff.post(f"/screening/{hit_id}/adjudicate", {"verdict": "false_positive", "note": ""})
    assert refused.status_code == 400
    as_staff.post(f"/screening/{hit_id}/adjudicate", {"verdict": "false_positive", "note": "Checked: different bank"})
    page = as_staff.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "Adjudicated: False positive" in page and "Checked: different bank" in page
    preview = as_staff.get(f"/proposals/{pid}/report.html").get_data(as_text=True)
    assert "Checked: different bank" in preview
    # re-assessing: the cleared hit no longer raises a finding
    as_staff.post(f"/proposals/{pid}/assess")
    db_session.expire_all()
    findings = db_session.get(Proposal, pid).assessments[-1].result["findings"]
    assert not [f for f in findings if f["id"].startswith("SCREEN-")]


def test_admin_imports_a_list_file_and_a_bad_one_changes_nothing(as_admin, db_session):
    from riskdesk.models import ListSnapshot
    from tests.conftest import shared_dir

    sdn = b"".join((shared_dir() / "data" / "ofac-sdn-2024-05-03.csv").read_bytes().splitlines(keepends=True)[:30])
    response = as_admin.post("/admin/lists", {"format": "sdn", "file": (io.BytesIO(sdn), "sdn.csv")},
                             token_from="/admin/lists", content_type="multipart/form-data")
    assert response.status_code in (302, 303)
    bad = as_admin.post("/admin/lists", {"format": "sdn", "file": (io.BytesIO(b'1,"X"\n'), "bad.csv")},
                        token_from="/admin/lists", content_type="multipart/form-data")
    assert bad.status_code == 400 and b"The active snapshot is unchanged" in bad.data and b"line 1" in bad.data
    snapshots = db_session.scalars(select(ListSnapshot)).all()
    assert [(s.filename, s.active, s.record_count) for s in snapshots] == [("sdn.csv", True, 30)]
    page = as_admin.get("/admin/lists").get_data(as_text=True)
    assert "OFAC SDN" in page and "sdn.csv" in page


def test_a_report_render_past_its_time_limit_answers_503(app, as_staff, published, db_session):
    import_demo(as_staff, DEMO[1])
    pid = db_session.scalars(select(Proposal)).one().id
    as_staff.post(f"/proposals/{pid}/assess")
    app.config["REPORT_RENDER_TIMEOUT"] = 0.001
    response = as_staff.get(f"/proposals/{pid}/report.pdf")
    assert response.status_code == 503 and b"could not be produced" in response.data
    app.config["REPORT_RENDER_TIMEOUT"] = 120
    assert as_staff.get(f"/proposals/{pid}/report.pdf").data.startswith(b"%PDF")


def test_next_review_is_the_earliest_of_schedule_renewal_and_anniversary():
    import datetime as dt

    from riskdesk.council.portfolio import next_review

    today = dt.date(2026, 11, 26)
    assert next_review(dt.date(2024, 3, 1), None, None, today) == (dt.date(2027, 3, 1), "anniversary of the decision")
    assert next_review(dt.date(2022, 1, 15), 6, None, today) == (dt.date(2027, 1, 15), "anniversary of the decision")
    assert next_review(dt.date(2022, 1, 15), 5, None, today) == (dt.date(2027, 1, 15), "renewal")
    assert next_review(dt.date(2021, 12, 1), 5, None, today) == (dt.date(2026, 12, 1), "renewal")
    assert next_review(dt.date(2024, 3, 1), None, dt.date(2026, 12, 24), today) == (dt.date(2026, 12, 24), "scheduled")
    assert next_review(dt.date(2024, 2, 29), None, None, today) == (dt.date(2027, 2, 28), "anniversary of the decision")


def test_admin_reassesses_stale_proposals_after_a_publish(as_staff, as_admin, published, db_session):
    for path in DEMO[:2]:
        import_demo(as_staff, path)
    ids = [p.id for p in db_session.scalars(select(Proposal).order_by(Proposal.id))]
    for pid in ids:
        as_staff.post(f"/proposals/{pid}/assess")
    text = published.files["scoring.yaml"].replace("screening_severity: high", "screening_severity: critical")
    as_admin.post("/admin/checklists/edit", {"file": "scoring.yaml", "text": text, "action": "publish"},
                  token_from="/admin/checklists")
    response = as_admin.post("/admin/checklists/reassess", token_from="/admin/checklists")
    assert response.status_code in (302, 303)
    assert "Re-assessed 2 proposals" in as_admin.get("/admin/checklists").get_data(as_text=True)
    from riskdesk.checklists.releases import active_release

    db_session.expire_all()
    active = active_release(db_session)
    for pid in ids:
        assessments_ = db_session.get(Proposal, pid).assessments
        assert len(assessments_) == 2 and assessments_[-1].release_id == active.id
        assert assessments_[0].release_id == published.id  # the earlier assessment is kept as it was


def test_a_save_racing_another_save_is_a_conflict_not_an_error(app, as_staff, db_session, monkeypatch):
    """The version check passes, then another session commits first: the UPDATE matches no row."""
    from riskdesk.proposals import services

    document = load_path(DEMO[0])
    as_staff.post("/proposals/new", form_data(document, save="1"), token_from="/proposals/new")
    proposal = db_session.scalars(select(Proposal)).one()
    real_update = services.update_proposal

    def update_after_a_rival_commit(session, proposal, document, **kw):
        rival = app.extensions["riskdesk.sessionmaker"]()
        rival_row = rival.get(Proposal, proposal.id)
        rival_row.title = "Saved by someone else"
        rival.commit()
        rival.close()
        return real_update(session, proposal, document, **kw)

    monkeypatch.setattr("riskdesk.proposals.services.update_proposal", update_after_a_rival_commit)
    mine = dict(document, title="My own title")
    response = as_staff.post(f"/proposals/{proposal.id}/edit", form_data(mine, save="1", version_id="1"),
                             token_from="/proposals/new")
    assert response.status_code == 409 and "My own title" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Proposal, proposal.id).title == "Saved by someone else"


def test_demo_data_gives_the_council_a_portfolio(app, db_session, as_council):
    from riskdesk.demo import load

    assert load(db_session) == len(DEMO)
    db_session.commit()
    assert load(db_session) == 0  # idempotent
    page = as_council.get("/council").get_data(as_text=True)
    portfolio = page[page.index("Portfolio of active partnerships"):]
    assert "Sister-city agreement with Vienne (France)" in portfolio and "rating-low" in portfolio
    approved = db_session.scalars(select(Proposal).where(Proposal.status == "approved")).one()
    assert approved.assessments
    from riskdesk.models import Transition

    steps = [t.to_status for t in db_session.scalars(select(Transition).where(Transition.proposal_id == approved.id)
                                                     .order_by(Transition.id))]
    assert steps == ["submitted", "in_review", "approved"]


def test_report_preview_is_styled_by_the_apps_own_stylesheet(as_staff, published, db_session):
    import_demo(as_staff, DEMO[1])
    pid = db_session.scalars(select(Proposal)).one().id
    as_staff.post(f"/proposals/{pid}/assess")
    page = as_staff.get(f"/proposals/{pid}/report.html").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/reports/council_report.css">' in page
    css = as_staff.get("/reports/council_report.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert "riskdesk:/" not in text and 'url("/static/fonts/OpenSans-Regular.ttf")' in text
    assert as_staff.get("/static/fonts/OpenSans-Regular.ttf").status_code == 200


def test_attached_agreement_text_counts_and_the_page_shows_the_state_law_status(as_staff, published, db_session):
    """Words found only in an uploaded draft count like typed text; the page says what was surveyed."""
    document = load_path(DEMO[0])
    document["city"]["state"] = "TN"
    document["agreement"]["text"] = ""
    document["commitments"]["un_agendas"] = []
    data = form_data(document, save="1")
    data["attachment"] = (io.BytesIO(b"The cities adopt the SDGs as the frame of their cooperation."), "draft.txt")
    response = as_staff.post("/proposals/new", data, token_from="/proposals/new", content_type="multipart/form-data")
    assert response.status_code in (302, 303)
    proposal = db_session.scalars(select(Proposal)).one()
    assert as_staff.post(f"/proposals/{proposal.id}/assess").status_code in (302, 303)
    db_session.expire_all()
    result = db_session.get(Proposal, proposal.id).assessments[-1].result
    assert "TN-4-1-422-UN" in {f["id"] for f in result["findings"]}
    assert result["state_law"]["status"] == "law_encoded" and result["state_law"]["packs"] == ["TN"]
    page = as_staff.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert 'id="state-law"' in page and "Tenn. Code § 4-1-422" in page


def _assessed(as_staff, db_session, path):
    import_demo(as_staff, path)
    proposal = db_session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
    assert as_staff.post(f"/proposals/{proposal.id}/assess").status_code in (302, 303)
    db_session.expire_all()
    return db_session.get(Proposal, proposal.id)


def test_open_questions_are_answered_in_place_in_one_audited_update_and_reassessed(as_staff, published,
                                                                                  db_session):
    proposal = _assessed(as_staff, db_session, DEMO[1])
    before = proposal.assessments[-1].result
    fields = {entry["field"] for entry in before["open_fields"]}
    assert "governance.council_approval" in fields and "agreement.exit_clause" in fields
    page = as_staff.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert 'name="answer:governance.council_approval"' in page
    assert f'/proposals/{proposal.id}/edit#document-governance-council_approval' in page
    assert "Will the council formally approve the agreement?" in page
    version = proposal.version_id
    response = as_staff.post(f"/proposals/{proposal.id}/answers",
                             {"answer:governance.council_approval": "yes", "answer:agreement.exit_clause": "yes",
                              "answer:context.diaspora_communities": "unknown", "version_id": str(version)})
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("#open-questions")
    db_session.expire_all()
    proposal = db_session.get(Proposal, proposal.id)
    assert proposal.document["governance"]["council_approval"] == "yes"
    assert proposal.document["agreement"]["exit_clause"] == "yes"
    assert proposal.version_id == version + 1 and len(proposal.assessments) == 2
    after_fields = {entry["field"] for entry in proposal.assessments[-1].result["open_fields"]}
    assert "governance.council_approval" not in after_fields and "context.diaspora_communities" in after_fields
    edits = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.edit")).all()
    assert len(edits) == 1 and edits[0].summary == "Edited agreement, governance"
    # a stale page (old version) saves nothing
    response = as_staff.post(f"/proposals/{proposal.id}/answers",
                             {"answer:context.diaspora_communities": "yes", "version_id": str(version)})
    assert response.status_code == 409 and b"Nothing was saved" in response.data
    # a refused value names the field and saves nothing
    response = as_staff.post(f"/proposals/{proposal.id}/answers",
                             {"answer:context.diaspora_communities": "maybe", "version_id": str(version + 1)})
    assert response.status_code == 400 and b"context.diaspora_communities" in response.data
    db_session.expire_all()
    assert db_session.get(Proposal, proposal.id).document["context"]["diaspora_communities"] == "unknown"


def test_status_changes_do_not_make_the_assessment_out_of_date(as_staff, as_council, published, db_session):
    proposal = _assessed(as_staff, db_session, DEMO[3])
    pid = proposal.id
    for to in ("submitted", "in_review"):
        assert as_staff.post(f"/proposals/{pid}/transition", {"to_status": to, "reason": "ready"}).status_code in (302, 303)
    assert 'id="stale"' not in as_council.get(f"/proposals/{pid}").get_data(as_text=True)
    assert as_council.post(f"/proposals/{pid}/transition", {"to_status": "approved", "reason": "Vote 7-0"},
                           token_from="/council").status_code in (302, 303)
    assert 'id="stale"' not in as_council.get(f"/proposals/{pid}").get_data(as_text=True)
    council = as_council.get("/council").get_data(as_text=True)
    portfolio = council[council.index("portfolio-h"):]
    assert "Delegation visit from Freiburg" in portfolio and "Stale" not in portfolio


def test_a_decided_proposal_is_locked_and_an_amendment_needs_a_new_assessment_and_decision(
        as_staff, as_council, published, db_session):
    proposal = _assessed(as_staff, db_session, DEMO[3])
    pid = proposal.id
    for to in ("submitted", "in_review"):
        as_staff.post(f"/proposals/{pid}/transition", {"to_status": to, "reason": "ready"})
    as_council.post(f"/proposals/{pid}/transition", {"to_status": "approved_with_conditions", "reason": "Vote 6-1",
                                                     "conditions": "Annual report"}, token_from="/council")
    db_session.expire_all()
    proposal = db_session.get(Proposal, pid)
    document = proposal.document
    # editing is refused, by the form and by the service
    assert as_staff.get(f"/proposals/{pid}/edit").status_code in (302, 303)
    changed = dict(document, title="Changed after the decision")
    response = as_staff.post(f"/proposals/{pid}/edit", form_data(changed, save="1", version_id=str(proposal.version_id)),
                             token_from="/proposals/new")
    assert response.status_code in (302, 303)
    db_session.expire_all()
    assert db_session.get(Proposal, pid).title != "Changed after the decision"
    assert as_staff.post(f"/proposals/{pid}/answers", {"answer:governance.council_approval": "no",
                                                       "version_id": str(proposal.version_id)}).status_code == 409
    # an amendment reopens it; the decision stays visible, here and on the council page
    assert as_staff.post(f"/proposals/{pid}/amend", {"reason": ""}).status_code == 400
    response = as_staff.post(f"/proposals/{pid}/amend", {"reason": "New partner department"})
    assert response.status_code in (302, 303) and response.headers["Location"].endswith(f"/proposals/{pid}/edit")
    page = as_staff.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'id="amendment"' in page and "Vote 6-1" in page and "Annual report" in page
    council = as_council.get("/council").get_data(as_text=True)
    assert 'id="amendments-h"' in council and "Vote 6-1" in council[council.index('id="amendments-h"'):]
    db_session.expire_all()
    proposal = db_session.get(Proposal, pid)
    assert as_staff.post(f"/proposals/{pid}/edit", form_data(changed, save_draft="1", version_id=str(proposal.version_id)),
                         token_from="/proposals/new").status_code in (302, 303)
    refused = as_staff.post(f"/proposals/{pid}/transition", {"to_status": "submitted", "reason": "ready"})
    assert refused.status_code == 400 and b"Re-assess the proposal before it is submitted" in refused.data
    as_staff.post(f"/proposals/{pid}/assess")
    for to in ("submitted", "in_review"):
        assert as_staff.post(f"/proposals/{pid}/transition", {"to_status": to, "reason": "ready"}).status_code in (302, 303)
    assert as_council.post(f"/proposals/{pid}/transition", {"to_status": "approved", "reason": "Vote 7-0"},
                           token_from="/council").status_code in (302, 303)
    db_session.expire_all()
    proposal = db_session.get(Proposal, pid)
    assert proposal.status == "approved" and proposal.conditions == [] and proposal.title == "Changed after the decision"
    assert db_session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.amend")).one()


def test_approving_over_a_prohibition_needs_a_confirmation(as_staff, as_council, published, db_session):
    document = load_path(DEMO[1])  # the port MoU with a Chinese city, as a Texas sister-city agreement
    document = dict(document, city=dict(document["city"], state="TX"),
                    agreement=dict(document["agreement"], type="sister_city"))
    as_staff.post("/proposals/new", form_data(document, save="1"), token_from="/proposals/new")
    proposal = db_session.scalars(select(Proposal)).one()
    assert proposal.assessments[-1].prohibited, "Texas bars this sister-city agreement"
    pid = proposal.id
    for to in ("submitted", "in_review"):
        as_staff.post(f"/proposals/{pid}/transition", {"to_status": to, "reason": "ready"})
    page = as_council.get(f"/proposals/{pid}").get_data(as_text=True)
    assert 'name="confirm_prohibition"' in page and 'name="suggested"' in page
    refused = as_council.post(f"/proposals/{pid}/transition", {"to_status": "approved", "reason": "x"},
                              token_from="/council")
    assert refused.status_code == 400 and b"a legal prohibition applies" in refused.data
    assert as_council.post(f"/proposals/{pid}/transition",
                           {"to_status": "declined", "reason": "Prohibited by state law"},
                           token_from="/council").status_code in (302, 303)


def test_suggested_conditions_are_offered_and_recorded(as_staff, as_council, published, db_session):
    proposal = _assessed(as_staff, db_session, DEMO[3])
    pid = proposal.id
    for to in ("submitted", "in_review"):
        as_staff.post(f"/proposals/{pid}/transition", {"to_status": to, "reason": "ready"})
    page = as_council.get(f"/proposals/{pid}").get_data(as_text=True)
    offered = re.findall(r'name="suggested" value="([^"]+)"', page)
    assert offered
    suggestion = offered[0].replace("&#39;", "'").replace("&amp;", "&").replace("&#34;", '"')
    as_council.post(f"/proposals/{pid}/transition", {"to_status": "approved_with_conditions", "reason": "Vote",
                                                     "suggested": suggestion, "conditions": "Own condition"},
                    token_from="/council")
    db_session.expire_all()
    assert db_session.get(Proposal, pid).conditions == [suggestion, "Own condition"]


def test_a_second_identical_import_or_new_proposal_asks_before_creating(as_staff, db_session):
    assert import_demo(as_staff, DEMO[0]).status_code in (302, 303)
    again = import_demo(as_staff, DEMO[0])
    page = again.get_data(as_text=True)
    assert again.status_code == 409 and "An identical proposal already exists" in page
    assert len(db_session.scalars(select(Proposal)).all()) == 1
    content = re.search(r'name="content" type="hidden" value="([^"]*)"|id="content" name="content" type="hidden" value="([^"]*)"', page)
    assert content
    response = as_staff.post("/proposals/import", {"import_anyway": "1", "content": load_path(DEMO[0]) and DEMO[0].read_text(),
                                                   "filename": DEMO[0].name}, token_from="/proposals/import")
    assert response.status_code in (302, 303)
    assert len(db_session.scalars(select(Proposal)).all()) == 2
    # the form: Back and Save again does not make a second copy unasked
    document = load_path(DEMO[2])
    assert as_staff.post("/proposals/new", form_data(document, save="1"), token_from="/proposals/new").status_code in (302, 303)
    again = as_staff.post("/proposals/new", form_data(document, save="1"), token_from="/proposals/new")
    assert again.status_code == 409 and b'id="duplicate"' in again.data
    assert len(db_session.scalars(select(Proposal)).all()) == 3
    assert as_staff.post("/proposals/new", form_data(document, save_anyway="1"),
                         token_from="/proposals/new").status_code in (302, 303)
    assert len(db_session.scalars(select(Proposal)).all()) == 4


def test_save_and_check_assesses_and_save_draft_does_not(as_staff, published, db_session):
    document = load_path(DEMO[0])
    response = as_staff.post("/proposals/new", form_data(document, save="1"), token_from="/proposals/new")
    assert response.status_code in (302, 303)
    proposal = db_session.scalars(select(Proposal)).one()
    assert len(proposal.assessments) == 1
    page = as_staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Proposal saved and checked: rated" in page
    draft = as_staff.post("/proposals/new", {"document-title": "Early idea: Kyoto", "save_draft": "1"},
                          token_from="/proposals/new")
    assert draft.status_code in (302, 303)
    assert not db_session.scalars(select(Proposal).where(Proposal.title == "Early idea: Kyoto")).one().assessments


def test_error_summary_lists_and_links_every_error_and_required_fields_are_marked(as_staff, db_session):
    page = as_staff.get("/proposals/new").get_data(as_text=True)
    assert 'Title <span class="required-mark">(required)</span>' in page and "required" in page
    assert page.index('class="implicit-submit"') < page.index('name="add_intermediary"')
    data = form_data(load_path(DEMO[0]), save="1")
    data["document-partner-name"] = ""
    data["document-city-population"] = "lots"
    page = as_staff.post("/proposals/new", data, token_from="/proposals/new").get_data(as_text=True)
    summary = page[page.index('id="error-summary"'):page.index("</div>", page.index('id="error-summary"'))]
    assert "2 problems to correct" in summary
    assert '<a href="#document-partner-name">Name of the partner: Is required</a>' in summary or \
        'href="#document-partner-name"' in summary
    assert 'href="#document-city-population"' in summary


def test_adding_a_row_comes_back_at_the_new_row_with_the_focus_in_it(as_staff, db_session):
    data = {"document-title": "Rows", "add_intermediary": "Add an intermediary"}
    page = as_staff.post("/proposals/new", data, token_from="/proposals/new").get_data(as_text=True)
    assert 'id="document-intermediaries-0"' in page
    assert re.search(r'id="document-intermediaries-0-name"[^>]*autofocus|autofocus[^>]*id="document-intermediaries-0-name"', page)


def test_country_and_state_names_in_filters_and_imports_suggest_codes(as_staff, db_session):
    page = as_staff.get("/proposals?country=China&state=Tennessee").get_data(as_text=True)
    assert 'value="CN"' in page and 'value="TN"' in page
    assert "Partner country “China” read as CN (China)" in page
    page = as_staff.get("/proposals?country=Chna").get_data(as_text=True)
    assert "No country code “Chna”" in page and "did you mean CN (China)" in page
    bad = dump_yaml({"title": "Names for codes", "city": {"name": "Memphis", "state": "Tennessee"},
                     "agreement": {"type": "mou"}, "partner": {"name": "P", "country": "China"}})
    response = as_staff.post("/proposals/import", {"file": (io.BytesIO(bad.encode()), "names.yaml")},
                             token_from="/proposals/import", content_type="multipart/form-data")
    assert b"did you mean CN (China)?" in response.data and b"did you mean TN (Tennessee)?" in response.data


def test_form_lists_countries_as_the_city_writes_them_and_states_by_name(as_staff):
    page = as_staff.get("/proposals/new").get_data(as_text=True)
    assert ">Taiwan (TW)<" in page and "Province of China" not in page
    assert page.index(">Alabama (AL)<") < page.index(">Alaska (AK)<")
    kind = page[page.index('id="document-partner-kind"'):]
    assert re.search(r'<option selected value="unknown">Unknown</option>|<option value="unknown" selected>Unknown</option>',
                     kind[:kind.index("</select>")])


def test_roll_back_asks_first_and_the_preview_shows_a_diff_and_impact_in_words(as_admin, as_staff, published,
                                                                             db_session):
    _assessed(as_staff, db_session, DEMO[3])  # the Freiburg visit: moderate
    text = published.files["scoring.yaml"].replace("overall_thresholds: {moderate: 4, high: 12, critical: 30}",
                                                   "overall_thresholds: {moderate: 50, high: 60, critical: 70}")
    text = text.replace("category_thresholds: {moderate: 3, high: 6, critical: 12}",
                        "category_thresholds: {moderate: 50, high: 60, critical: 70}")
    page = as_admin.post("/admin/checklists/edit", {"file": "scoring.yaml", "text": text, "action": "preview"},
                         token_from="/admin/checklists").get_data(as_text=True)
    assert '<span class="del">-overall_thresholds: {moderate: 4, high: 12, critical: 30}</span>' in page
    assert '<span class="add">+overall_thresholds: {moderate: 50, high: 60, critical: 70}</span>' in page
    assert "Re-assessed after publishing" in page and "Delegation visit from Freiburg" in page
    assert "rating moderate → low" in page and "re-assesses the 1 open or active proposal assessed before" in page
    as_admin.post("/admin/checklists/edit", {"file": "scoring.yaml", "text": text, "action": "publish"},
                  token_from="/admin/checklists")
    listing = as_admin.get("/admin/checklists").get_data(as_text=True)
    assert "Roll back to this release…" in listing and "Make active (roll back)" not in listing
    confirm = as_admin.get(f"/admin/checklists/{published.id}/activate")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and f"Roll back to release {published.hash[:12]}?" in page
    assert "rating low → moderate" in page  # what going back changes, before anything changes
    from riskdesk.checklists.releases import active_release

    db_session.expire_all()
    assert active_release(db_session).hash != published.hash
    # the re-assess after publishing does what the preview said
    response = as_admin.post("/admin/checklists/reassess", token_from="/admin/checklists")
    assert "Re-assessed 1 proposal" in as_admin.get(response.headers["Location"]).get_data(as_text=True)


def test_an_administrator_resets_a_password_and_it_is_audited(app, as_admin, users, db_session):
    from tests.conftest import Browserless

    carl = users["council"]
    page = as_admin.get("/admin/users").get_data(as_text=True)
    assert f'/admin/users/{carl.id}/password' in page
    short = as_admin.post(f"/admin/users/{carl.id}/password", {"new": "short", "confirm": "short"},
                          token_from=f"/admin/users/{carl.id}/password")
    assert short.status_code == 400
    new = "a brand new council passphrase"
    done = as_admin.post(f"/admin/users/{carl.id}/password", {"new": new, "confirm": new},
                         token_from=f"/admin/users/{carl.id}/password")
    assert done.status_code in (302, 303)
    assert Browserless(app.test_client()).login("carl", new).status_code in (302, 303)
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_reset")).one()
    assert event.object_id == str(carl.id) and event.actor == "ada" and new not in repr(event.summary)


def test_small_things(web, as_admin, db_session):
    assert web.get("/login").status_code == 200
    response = web.get("/proposals")
    assert response.headers["Location"].endswith("/auth/login?next=/proposals")
    page = as_admin.get("/admin/audit").get_data(as_text=True)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)
    assert 'rel="icon"' in page and web.get("/static/favicon.svg").status_code == 200
