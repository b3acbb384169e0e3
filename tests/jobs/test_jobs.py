"""Background jobs run in process (no REDIS_URL): results, progress, bounded retries, nothing half-applied."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from riskdesk.jobs import kinds, queue
from riskdesk.models import Job, Proposal
from tests.jobs.conftest import counts


@pytest.fixture(autouse=True)
def no_retry_delay(app):
    app.config["JOB_RETRY_DELAY"] = 0


def run(app, db_session, kind, params=None, actor=None) -> Job:
    job = queue.submit(app, db_session, kind, params, actor)
    app.extensions["riskdesk.jobs"].wait()
    db_session.expire_all()
    return db_session.get(Job, job.id)


def test_reassess_job_reassesses_every_stale_proposal_and_records_result_and_progress(
        app, db_session, users, assessed, newer_release):
    job = run(app, db_session, "reassess", actor=users["admin"])
    assert job.status == "succeeded", job.error
    assert job.result["reassessed"] == len(assessed) and job.result["release"] == newer_release.hash
    assert job.done == job.total == len(assessed) and job.attempts == 1 and job.finished_at is not None
    for pid in assessed:
        latest = db_session.get(Proposal, pid).assessments[-1]
        assert latest.release_id == newer_release.id and latest.created_by_id == users["admin"].id
    assert queue.status(app, job)["summary"].startswith(f"Re-assessed {len(assessed)} proposals")


def test_a_job_that_fails_midway_changes_nothing_and_is_retried_a_bounded_number_of_times(
        app, db_session, users, assessed, newer_release, monkeypatch):
    calls = []

    def reassess_then_fail(ctx):
        calls.append(ctx)
        kinds.reassess(ctx)  # writes every new assessment and its audit row, then
        raise RuntimeError("disk full")

    monkeypatch.setitem(kinds.KINDS, "reassess", kinds.JobKind("failing", reassess_then_fail, max_attempts=3))
    before = counts(db_session)
    job = run(app, db_session, "reassess", actor=users["admin"])
    assert job.status == "failed" and job.attempts == 3 and len(calls) == 3
    assert job.error == "RuntimeError: disk full" and job.result is None
    assert counts(db_session) == before  # no assessment, no audit row left behind
    for pid in assessed:
        assert db_session.get(Proposal, pid).assessments[-1].release_id != newer_release.id


def test_a_failed_attempt_is_retried_and_the_second_one_applies(app, db_session, users, assessed, newer_release,
                                                              monkeypatch):
    attempts = []

    def flaky(ctx):
        attempts.append(1)
        result = kinds.reassess(ctx)
        if len(attempts) == 1:
            raise ConnectionError("database went away")
        return result

    monkeypatch.setitem(kinds.KINDS, "reassess", kinds.JobKind("flaky", flaky))
    job = run(app, db_session, "reassess", actor=users["admin"])
    assert job.status == "succeeded" and job.attempts == 2 and job.error == ""
    assert job.result["reassessed"] == len(assessed)
    for pid in assessed:  # exactly one new assessment each: the failed attempt left none
        rows = db_session.get(Proposal, pid).assessments
        assert len(rows) == 2 and rows[-1].release_id == newer_release.id


def test_a_refused_job_is_not_retried(app, db_session, users, published):
    job = run(app, db_session, "impact", {}, users["admin"])
    assert job.status == "failed" and job.attempts == 1
    assert job.error == "files: the draft release's checklist files are required."


def test_impact_job_lists_the_proposals_a_draft_would_change(app, db_session, users, published, assessed):
    text = published.files["scoring.yaml"].replace("overall_thresholds: {moderate: 4, high: 12, critical: 30}",
                                                   "overall_thresholds: {moderate: 50, high: 60, critical: 70}")
    text = text.replace("category_thresholds: {moderate: 3, high: 6, critical: 12}",
                        "category_thresholds: {moderate: 50, high: 60, critical: 70}")
    before = counts(db_session)
    job = run(app, db_session, "impact", {"files": {**published.files, "scoring.yaml": text}, "file": "scoring.yaml"},
              users["admin"])
    assert job.status == "succeeded", job.error
    titles = {c["title"]: c for c in job.result["changes"]}
    assert titles["Delegation visit from Freiburg on climate planning"]["rating"] == ["moderate", "low"]
    assert job.total == len(assessed) and counts(db_session) == before  # a preview writes nothing


def test_batch_report_job_issues_reports_and_a_failure_removes_the_files_it_wrote(
        app, db_session, users, assessed, monkeypatch, tmp_path):
    from pathlib import Path

    from riskdesk.council import reports

    reports_dir = Path(app.config["REPORTS_DIR"])
    real_issue = reports.issue_report
    issued = []

    def issue_then_fail_on_second(session, proposal, **kw):
        if issued:
            raise RuntimeError("renderer crashed")
        issued.append(proposal.id)
        return real_issue(session, proposal, **kw)

    monkeypatch.setattr(reports, "issue_report", issue_then_fail_on_second)
    before = counts(db_session)
    failed = run(app, db_session, "render_reports", {"proposal_ids": assessed[:2]}, users["admin"])
    assert failed.status == "failed" and "renderer crashed" in failed.error
    assert counts(db_session) == before and list(reports_dir.glob("*.pdf")) == []

    monkeypatch.setattr(reports, "issue_report", real_issue)
    job = run(app, db_session, "render_reports", {"proposal_ids": assessed[:2]}, users["admin"])
    assert job.status == "succeeded", job.error
    assert [r["proposal_id"] for r in job.result["issued"]] == assessed[:2]
    assert len(list(reports_dir.glob("*.pdf"))) == 2
    assert counts(db_session)["Report"] == before["Report"] + 2


def test_an_unknown_kind_is_refused_before_anything_is_queued(app, db_session):
    from riskdesk.jobs.runner import UnknownKind

    with pytest.raises(UnknownKind, match="'nope' is not a job kind"):
        queue.submit(app, db_session, "nope", {}, None)
    db_session.rollback()
    assert db_session.query(Job).count() == 0


def test_jobs_enqueue_from_the_command_line_waits_for_an_in_process_job_and_lists_it(
        app, db_session, users, assessed, newer_release):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["riskdesk", "jobs", "enqueue", "reassess", "--as", "ada"])
    assert result.exit_code == 0, result.output
    assert re.search(rf"job \d+: succeeded: Re-assessed {len(assessed)} proposals", result.output)
    listed = runner.invoke(args=["riskdesk", "jobs", "list"])
    assert "\treassess\tsucceeded\t" in listed.output
    refused = runner.invoke(args=["riskdesk", "jobs", "enqueue", "render_reports", "--params", "[1]"])
    assert refused.exit_code == 2 and "must be a JSON object" in refused.output
    failed = runner.invoke(args=["riskdesk", "jobs", "enqueue", "render_reports", "--params", '{"status": "draft"}'])
    assert failed.exit_code == 1 and "Issuing reports needs the person who issues them" in failed.output


def test_rescreen_job_raises_new_matches_on_existing_ties_and_refuses_an_inactive_snapshot(
        app, db_session, users, published):
    from riskdesk.models import WatchHit
    from riskdesk.proposals.assessments import assess_proposal
    from riskdesk.proposals.services import create_proposal
    from riskdesk.screening import services as screening
    from tests.test_screening_integration import DOC, sdn_subset

    tie = create_proposal(db_session, DOC, actor=users["staff"])
    assess_proposal(db_session, tie, actor=users["staff"])  # no list yet: nothing flagged
    tie.status = "approved"
    snapshot = screening.import_list(db_session, sdn_subset(), "sdn", filename="sdn.csv")
    db_session.commit()
    job = run(app, db_session, "rescreen", {"snapshot_id": snapshot.id}, users["admin"])
    assert job.status == "succeeded", job.error
    assert job.result["new_matches"] == 1 and job.result["snapshot"] == snapshot.sha256
    (watch,) = db_session.scalars(select(WatchHit)).all()
    assert watch.proposal_id == tie.id and watch.snapshot_id == snapshot.id
    again = run(app, db_session, "rescreen", {"snapshot_id": snapshot.id}, users["admin"])
    assert again.status == "succeeded" and again.result["new_matches"] == 0  # already raised once
    refused = run(app, db_session, "rescreen", {"snapshot_id": 10_000}, users["admin"])
    assert refused.status == "failed" and "snapshot_id" in refused.error and refused.attempts == 1
