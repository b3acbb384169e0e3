"""The jobs pages: administrators only, a progress element fed by the status JSON, results shown."""
from __future__ import annotations

import re

from riskdesk.models import Job


def test_jobs_pages_are_for_administrators_only(app, as_staff, as_council):
    for client in (as_staff, as_council):
        assert client.get("/admin/jobs").status_code == 403
        assert client.get("/admin/jobs/1.json").status_code == 403


def test_admin_starts_a_reassess_job_and_follows_it_to_its_result(app, as_admin, db_session, assessed, newer_release):
    app.config["JOB_RETRY_DELAY"] = 0
    response = as_admin.post("/admin/jobs", {"kind": "reassess"}, token_from="/admin/jobs")
    assert response.status_code in (302, 303)
    job_id = int(re.search(r"/admin/jobs/(\d+)$", response.headers["Location"]).group(1))
    app.extensions["riskdesk.jobs"].wait()
    state = as_admin.get(f"/admin/jobs/{job_id}.json").get_json()
    assert state["status"] == "succeeded" and state["done"] == state["total"] == len(assessed)
    assert state["summary"].startswith(f"Re-assessed {len(assessed)} proposals")
    page = as_admin.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert f'data-status-url="/admin/jobs/{job_id}.json"' in page and "<progress" in page
    assert '<script src="/static/jobs.js" defer></script>' in page and "<script>" not in page
    assert f"Finished: Re-assessed {len(assessed)} proposals" in page
    listing = as_admin.get("/admin/jobs").get_data(as_text=True)
    assert f'href="/admin/jobs/{job_id}"' in listing and "Re-assess proposals after a release" in listing


def test_the_progress_script_is_served_and_polls_the_status_url(as_admin):
    script = as_admin.get("/static/jobs.js")
    assert script.status_code == 200 and script.mimetype in ("text/javascript", "application/javascript")
    body = script.get_data(as_text=True)
    assert "data-status-url" in body and "job-progress" in body


def test_a_batch_report_job_needs_a_status_and_a_bad_kind_is_refused(as_admin, db_session):
    bad = as_admin.post("/admin/jobs", {"kind": "render_reports", "status": "nonsense"}, token_from="/admin/jobs")
    assert bad.status_code == 400 and b"status: choose the workflow status" in bad.data
    unknown = as_admin.post("/admin/jobs", {"kind": "drop_tables"}, token_from="/admin/jobs")
    assert unknown.status_code == 400 and b"kind: choose a job" in unknown.data
    assert db_session.query(Job).count() == 0


def test_a_missing_job_is_a_404(as_admin):
    assert as_admin.get("/admin/jobs/999.json").status_code == 404
