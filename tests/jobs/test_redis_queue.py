"""With REDIS_URL the pages enqueue on RQ and ``jobs worker`` runs the job; progress and results come back."""
from __future__ import annotations

import re

from riskdesk.models import Job, Proposal
from tests.conftest import Browserless


def admin_client(app):
    client = Browserless(app.test_client())
    assert client.login("ada").status_code in (302, 303)
    return client


def run_worker(app):
    result = app.test_cli_runner().invoke(args=["riskdesk", "jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    return result


def test_reassess_from_the_checklists_page_is_queued_then_run_by_the_worker(
        redis_app, users, db_session, assessed, newer_release):
    from riskdesk.jobs.queue import RedisQueue

    assert isinstance(redis_app.extensions["riskdesk.jobs"], RedisQueue)
    admin = admin_client(redis_app)
    response = admin.post("/admin/checklists/reassess", token_from="/admin/checklists")
    assert response.status_code in (302, 303)
    job_id = int(re.search(r"/admin/jobs/(\d+)$", response.headers["Location"]).group(1))
    queued = admin.get(f"/admin/jobs/{job_id}.json").get_json()
    assert queued["status"] == "queued" and queued["done"] == 0
    page = admin.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert "Waiting for a worker." in page and "<progress" in page
    db_session.expire_all()
    assert all(len(db_session.get(Proposal, pid).assessments) == 1 for pid in assessed)  # nothing ran in the request

    run_worker(redis_app)
    state = admin.get(f"/admin/jobs/{job_id}.json").get_json()
    assert state["status"] == "succeeded" and state["done"] == state["total"] == len(assessed)
    db_session.expire_all()
    for pid in assessed:
        assert db_session.get(Proposal, pid).assessments[-1].release_id == newer_release.id


def test_impact_preview_with_a_queue_shows_progress_on_the_edit_page_and_the_result_on_the_job_page(
        redis_app, users, db_session, published, assessed):
    admin = admin_client(redis_app)
    text = published.files["scoring.yaml"].replace("overall_thresholds: {moderate: 4, high: 12, critical: 30}",
                                                   "overall_thresholds: {moderate: 50, high: 60, critical: 70}")
    text = text.replace("category_thresholds: {moderate: 3, high: 6, critical: 12}",
                        "category_thresholds: {moderate: 50, high: 60, critical: 70}")
    response = admin.post("/admin/checklists/edit", {"file": "scoring.yaml", "text": text, "action": "preview"},
                          token_from="/admin/checklists")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="job-progress"' in page
    assert 'value="publish"' in page and text.split("\n")[0] in page  # the draft stays in the form, publishable
    job = db_session.scalars(__import__("sqlalchemy").select(Job)).one()
    assert job.kind == "impact" and job.params["file"] == "scoring.yaml"
    broken = admin.post("/admin/checklists/edit", {"file": "scoring.yaml", "text": "severity_points: [oops",
                                                   "action": "preview"}, token_from="/admin/checklists")
    assert broken.status_code == 400 and b"cannot be published" in broken.data  # answered at once, not queued

    run_worker(redis_app)
    result = admin.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    changes = result[result.index('id="impact-changes"'):]
    assert "Delegation visit from Freiburg on climate planning" in changes and "rating Moderate → Low" in changes


def test_the_worker_refuses_to_start_without_redis(app):
    result = app.test_cli_runner().invoke(args=["riskdesk", "jobs", "worker", "--burst"])
    assert result.exit_code == 2 and "REDIS_URL: not set" in result.output


def test_the_worker_marks_jobs_abandoned_by_a_dead_worker_failed_and_leaves_recent_ones(redis_app, db_session):
    import datetime as dt

    from riskdesk.jobs.queue import JOB_TIMEOUT_SECONDS

    now = dt.datetime.now(dt.timezone.utc)
    old = Job(kind="reassess", params={}, status="running", attempts=1, error="",
              started_at=now - dt.timedelta(seconds=JOB_TIMEOUT_SECONDS + 60))
    recent = Job(kind="reassess", params={}, status="running", attempts=1, error="", started_at=now)
    db_session.add_all([old, recent])
    db_session.commit()
    result = run_worker(redis_app)
    assert "1 job(s) left running by a stopped worker marked failed" in result.output
    db_session.expire_all()
    assert db_session.get(Job, old.id).status == "failed" and "nothing was changed" in db_session.get(Job, old.id).error
    assert db_session.get(Job, recent.id).status == "running"
