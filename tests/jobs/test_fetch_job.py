"""The fetch_lists job against list files on 127.0.0.1: all or nothing, unchanged files ignored, failures
recorded, retries bounded; from the pages, from ``jobs enqueue``, and on RQ with ``jobs schedule``'s scheduler."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from riskdesk.jobs import queue
from riskdesk.models import AuditEvent, Job, ListSnapshot, WatchHit
from riskdesk.proposals import assessments
from riskdesk.proposals.services import create_proposal
from riskdesk.screening import services as screening_service
from tests.conftest import Browserless, make_user
from tests.listserver import ListServer
from tests.test_screening_integration import ADD, ALT, CSL, DOC, sdn_subset

CSL_SMALLER = b"".join(CSL.read_bytes().splitlines(keepends=True)[:-3])  # a real, changed CSL file


@pytest.fixture
def list_server(app):
    server = ListServer()
    server.files.update({"sdn.csv": sdn_subset(), "alt.csv": ALT, "add.csv": ADD, "csl.csv": CSL.read_bytes()})
    app.config["LIST_URLS"] = {"sdn": f"{server.url}/sdn.csv", "alt": f"{server.url}/alt.csv",
                               "add": f"{server.url}/add.csv", "csl": f"{server.url}/csl.csv"}
    app.config["JOB_RETRY_DELAY"] = 0
    yield server
    server.close()


def run(app, db_session, params=None, actor=None) -> Job:
    job = queue.submit(app, db_session, "fetch_lists", params, actor)
    app.extensions["riskdesk.jobs"].wait()
    db_session.expire_all()
    return db_session.get(Job, job.id)


def active(db_session) -> dict[str, tuple[int, str]]:
    db_session.expire_all()
    return {s.format: (s.id, s.sha256) for s in db_session.scalars(select(ListSnapshot).where(ListSnapshot.active))}


def snapshot_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ListSnapshot))


@pytest.fixture
def approved_tie(db_session, published):
    """An approved proposal whose partner (Banco Nacional de Cuba) is in the SDN subset, assessed before any list."""
    user = make_user(db_session, "stan", ["staff"])
    tie = create_proposal(db_session, DOC, actor=user)
    assessments.assess_proposal(db_session, tie, actor=user)
    tie.status = "approved"
    db_session.commit()
    return tie


def test_changed_files_become_active_together_and_rescreen_the_portfolio(app, db_session, users, list_server,
                                                                         approved_tie):
    job = run(app, db_session, actor=users["admin"])
    assert job.status == "succeeded", job.error
    assert job.attempts == 1 and job.done == job.total == 4  # two lists downloaded, two imported
    snaps = active(db_session)
    assert set(snaps) == {"sdn", "csl"}
    assert {row["format"]: row["status"] for row in job.result["lists"]} == {"sdn": "imported", "csl": "imported"}
    assert {row["snapshot_id"] for row in job.result["lists"]} == {snaps["sdn"][0], snaps["csl"][0]}
    (watch,) = db_session.scalars(select(WatchHit)).all()  # the re-screen an import does ran
    assert (watch.proposal_id, watch.entry_uid, watch.snapshot_id) == (approved_tie.id, "SDN-306", snaps["sdn"][0])
    assert job.result["new_matches"] == 1
    assert job.result["summary"] == "Imported sdn, csl; 1 new potential match on existing ties."
    imports = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "list.import")).all()
    assert len(imports) == 2 and all(e.actor_id == users["admin"].id for e in imports)


def test_unchanged_files_make_no_snapshot_and_a_changed_one_replaces_only_its_list(app, db_session, list_server):
    assert run(app, db_session).status == "succeeded"
    first = active(db_session)
    again = run(app, db_session)
    assert again.status == "succeeded" and again.result["summary"] == "Every list is unchanged; no new snapshot."
    assert active(db_session) == first and snapshot_count(db_session) == 2
    list_server.files["csl.csv"] = CSL_SMALLER
    changed = run(app, db_session)
    assert changed.status == "succeeded", changed.error
    now = active(db_session)
    assert now["sdn"] == first["sdn"] and now["csl"] != first["csl"] and snapshot_count(db_session) == 3
    assert {row["format"]: row["status"] for row in changed.result["lists"]} == {"sdn": "unchanged",
                                                                                  "csl": "imported"}


@pytest.mark.parametrize("mode, expected", [("broken", "HTTP 500"), ("truncated", "incomplete download"),
                                            ("stall", "download failed (timed out)")])
def test_a_failed_download_of_one_list_imports_none_and_is_retried_a_bounded_number_of_times(
        app, db_session, list_server, mode, expected):
    assert run(app, db_session).status == "succeeded"
    before, count = active(db_session), snapshot_count(db_session)
    list_server.files["sdn.csv"] = sdn_subset(extra=(b"7157,",))  # SDN changed and valid ...
    list_server.files["csl.csv"] = CSL_SMALLER
    getattr(list_server, mode).add("csl.csv")  # ... but the CSL download fails every time
    list_server.requests.clear()
    job = run(app, db_session, {"timeout": 1})
    assert job.status == "failed" and job.attempts == job.max_attempts == 3 and job.result is None
    assert list_server.requests["csl.csv"] == 3 and list_server.requests["sdn.csv"] == 3  # one download per attempt
    assert expected in job.error and job.error.startswith("FetchFailed: csl: ")
    assert "No list was imported: every active snapshot stays." in job.error
    assert active(db_session) == before and snapshot_count(db_session) == count  # SDN was held back too
    assert queue.status(app, job)["error"] == job.error


def test_a_download_that_recovers_on_the_second_attempt_is_imported(app, db_session, list_server, monkeypatch):
    from riskdesk.screening import fetch

    real, calls = fetch.download, []

    def flaky(url, timeout):
        calls.append(url)
        if len(calls) == 1:
            raise fetch.FetchError(f"{url}: download failed (connection reset)")
        return real(url, timeout)

    monkeypatch.setattr(fetch, "download", flaky)
    job = run(app, db_session)
    assert job.status == "succeeded" and job.attempts == 2 and job.error == ""
    assert set(active(db_session)) == {"sdn", "csl"} and snapshot_count(db_session) == 2


@pytest.mark.parametrize("bad, expected", [(b"source,name\nx,y\n", "missing required column"),
                                           (None, "under half of the active snapshot's")])
def test_an_invalid_file_for_one_list_is_refused_at_once_and_changes_nothing(app, db_session, list_server, bad,
                                                                            expected):
    assert run(app, db_session).status == "succeeded"
    before, count = active(db_session), snapshot_count(db_session)
    list_server.files["sdn.csv"] = sdn_subset(extra=(b"7157,",))
    list_server.files["csl.csv"] = bad or b"".join(CSL.read_bytes().splitlines(keepends=True)[:20])
    job = run(app, db_session)
    assert job.status == "failed" and job.attempts == 1  # the same file again would fail the same way
    assert job.error.startswith("csl: csl.csv: ") and expected in job.error
    assert "No list was imported" in job.error
    assert active(db_session) == before and snapshot_count(db_session) == count


def test_a_failure_while_importing_rolls_back_the_lists_already_swapped(app, db_session, list_server, approved_tie,
                                                                       monkeypatch):
    """Phase 2 writes in the job's one transaction: SDN swapped and re-screened, then CSL's import fails."""
    calls = []
    real = screening_service.rescreen_portfolio

    def rescreen_then_fail(session, snapshot, actor=None):
        calls.append(snapshot.format)
        if snapshot.format == "csl":
            raise RuntimeError("database connection lost")
        return real(session, snapshot, actor)

    monkeypatch.setattr(screening_service, "rescreen_portfolio", rescreen_then_fail)
    job = run(app, db_session)
    assert job.status == "failed" and job.attempts == 3 and calls == ["sdn", "csl"] * 3
    assert job.error == "RuntimeError: database connection lost"
    assert active(db_session) == {} and snapshot_count(db_session) == 0
    assert db_session.scalar(select(func.count()).select_from(WatchHit)) == 0
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.in_(("list.import", "screening.new_match")))) == 0


def test_only_and_bad_parameters(app, db_session, list_server):
    job = run(app, db_session, {"only": ["csl"]})
    assert job.status == "succeeded" and set(active(db_session)) == {"csl"}
    assert list_server.requests.get("sdn.csv", 0) == 0
    for params, message in (({"only": ["nope"]}, "only: a list of list formats"),
                            ({"timeout": 0}, "timeout: seconds to wait for each download, from 1 to 3600.")):
        refused = run(app, db_session, params)
        assert refused.status == "failed" and refused.attempts == 1 and refused.error.startswith(message)


def test_no_configured_address_is_refused(app, db_session, monkeypatch):
    from riskdesk.screening import fetch

    for variable in fetch.URL_VARIABLES.values():
        monkeypatch.setenv(variable, "")
    app.config["LIST_URLS"] = {}
    job = run(app, db_session, {"only": ["opensanctions"]})
    assert job.status == "failed" and job.attempts == 1 and job.error.startswith("No list address is configured")


def test_jobs_enqueue_runs_a_fetch_from_cron_and_exits_1_when_it_failed(app, db_session, list_server):
    from riskdesk.cli import main as cli_main

    done = app.test_cli_runner().invoke(cli_main, ["jobs", "enqueue", "fetch_lists"])
    assert done.exit_code == 0, done.output
    assert re.search(r"job \d+: succeeded: Imported sdn, csl; 0 new potential matches", done.output)
    list_server.files["csl.csv"] = b"source,name\nx,y\n"
    failed = app.test_cli_runner().invoke(cli_main, ["jobs", "enqueue", "fetch_lists"])
    assert failed.exit_code == 1 and "failed: csl: csl.csv:" in failed.output


def test_admins_start_a_fetch_from_the_lists_page_others_may_not(app, db_session, users, list_server, as_admin,
                                                                as_staff, as_council):
    page = as_admin.get("/admin/lists").get_data(as_text=True)
    assert 'name="kind" value="fetch_lists"' in page and "Fetch the lists now" in page
    for client in (as_staff, as_council):
        assert client.post("/admin/jobs", {"kind": "fetch_lists"}).status_code == 403
    no_token = as_admin.client.post("/admin/jobs", data={"kind": "fetch_lists"})
    assert no_token.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(Job)) == 0
    response = as_admin.post("/admin/jobs", {"kind": "fetch_lists"}, token_from="/admin/lists")
    assert response.status_code in (302, 303)
    job_id = int(re.search(r"/admin/jobs/(\d+)$", response.headers["Location"]).group(1))
    app.extensions["riskdesk.jobs"].wait()
    state = as_admin.get(f"/admin/jobs/{job_id}.json").get_json()
    assert state["status"] == "succeeded" and state["done"] == state["total"] == 4
    assert "Imported sdn, csl" in as_admin.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert db_session.get(Job, job_id).created_by_id == users["admin"].id


# --------------------------------------------------------------------------- on Redis


def test_on_redis_the_page_queues_the_fetch_and_the_worker_applies_it(redis_app, db_session, users, list_server):
    redis_app.config["LIST_URLS"] = app_urls(list_server)
    admin = Browserless(redis_app.test_client())
    assert admin.login("ada").status_code in (302, 303)
    response = admin.post("/admin/jobs", {"kind": "fetch_lists"}, token_from="/admin/lists")
    job_id = int(re.search(r"/admin/jobs/(\d+)$", response.headers["Location"]).group(1))
    assert admin.get(f"/admin/jobs/{job_id}.json").get_json()["status"] == "queued"
    assert active(db_session) == {} and list_server.requests == {}  # nothing fetched in the request
    worker = redis_app.test_cli_runner().invoke(args=["riskdesk", "jobs", "worker", "--burst"])
    assert worker.exit_code == 0, worker.output
    assert admin.get(f"/admin/jobs/{job_id}.json").get_json()["status"] == "succeeded"
    assert set(active(db_session)) == {"sdn", "csl"}


def app_urls(server) -> dict[str, str]:
    return {"sdn": f"{server.url}/sdn.csv", "alt": f"{server.url}/alt.csv", "add": f"{server.url}/add.csv",
            "csl": f"{server.url}/csl.csv"}


def test_the_scheduler_puts_a_fetch_on_the_queue_and_the_worker_records_and_runs_it(redis_app, db_session,
                                                                                     list_server):
    redis_app.config["LIST_URLS"] = app_urls(list_server)
    with redis_app.app_context():
        scheduler = queue.cron_scheduler(redis_app.extensions["riskdesk.jobs"], "fetch_lists", {"only": ["sdn"]},
                                         every=3600)
    (entry,) = scheduler.get_jobs()
    assert (entry.interval, entry.queue_name, entry.args) == (3600, queue.QUEUE_NAME, ("fetch_lists", {"only": ["sdn"]}))
    assert [e.name for e in scheduler.enqueue_jobs()] == ["riskdesk:fetch_lists"]  # due at once, then in an hour
    assert scheduler.enqueue_jobs() == []
    assert db_session.scalar(select(func.count()).select_from(Job)) == 0  # the row is made when the run starts
    worker = redis_app.test_cli_runner().invoke(args=["riskdesk", "jobs", "worker", "--burst"])
    assert worker.exit_code == 0, worker.output
    (job,) = db_session.scalars(select(Job)).all()
    assert (job.kind, job.status, job.params, job.created_by_id) == ("fetch_lists", "succeeded", {"only": ["sdn"]},
                                                                    None)
    assert set(active(db_session)) == {"sdn"}


def test_a_scheduled_run_is_skipped_while_one_is_waiting(redis_app, db_session, list_server):
    from riskdesk.jobs import runner

    redis_app.config["LIST_URLS"] = app_urls(list_server)
    waiting = runner.create(db_session, "fetch_lists", {}, None)
    db_session.commit()
    with redis_app.app_context():
        assert runner.run_scheduled("fetch_lists", {}) == "skipped"
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Job)) == 1 and waiting.status == "queued"
    assert list_server.requests == {}


def test_jobs_schedule_checks_its_options(redis_app, app):
    cases = ((["--every", "3600", "--cron", "0 6 * * *"], "give exactly one of them"), ([], "give exactly one"),
             (["--cron", "every morning"], "is not a crontab expression"))
    for extra, message in cases:
        result = redis_app.test_cli_runner().invoke(args=["riskdesk", "jobs", "schedule", "fetch_lists", *extra])
        assert result.exit_code == 2 and message in result.output, result.output
    without_redis = app.test_cli_runner().invoke(args=["riskdesk", "jobs", "schedule", "fetch_lists",
                                                       "--every", "3600"])
    assert without_redis.exit_code == 2 and "REDIS_URL: not set" in without_redis.output


def test_the_sdn_bundle_file_is_what_the_job_imports(app, db_session, list_server):
    """The job imports the same bundle (sdn.csv + alt.csv + add.csv) as ``lists fetch``."""
    import hashlib

    from riskdesk.engine.screening.importers import sdn_bundle

    assert run(app, db_session).status == "succeeded"
    assert active(db_session)["sdn"][1] == hashlib.sha256(sdn_bundle(sdn_subset(), ALT, ADD)).hexdigest()


def test_jobs_schedule_runs_rq_cron_until_stopped(redis_app, db_session, list_server, database_url, tmp_path):
    """The command itself, in its own process: it enqueues the first run at once and stops cleanly on SIGTERM."""
    import signal
    import subprocess
    import sys
    import time

    from redis import Redis

    from tests.conftest import PROJECT_ROOT

    redis_app.config["LIST_URLS"] = app_urls(list_server)
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_app.config["REDIS_URL"], "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(PROJECT_ROOT), "RISKDESK_INSTANCE": str(tmp_path / "instance"), "SECRET_KEY": "x"}
    process = subprocess.Popen([sys.executable, "-m", "riskdesk", "jobs", "schedule", "fetch_lists", "--every",
                                "3600"], env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    rq_queue = Redis.from_url(redis_app.config["REDIS_URL"])
    try:
        deadline = time.monotonic() + 60
        while rq_queue.llen(f"rq:queue:{queue.QUEUE_NAME}") == 0 and process.poll() is None:
            assert time.monotonic() < deadline, "the scheduler enqueued nothing"
            time.sleep(0.2)
        time.sleep(1)  # one due run, not more
        assert rq_queue.llen(f"rq:queue:{queue.QUEUE_NAME}") == 1
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "scheduling fetch_lists every 3600 seconds" in output
    worker = redis_app.test_cli_runner().invoke(args=["riskdesk", "jobs", "worker", "--burst"])
    assert worker.exit_code == 0, worker.output
    (job,) = db_session.scalars(select(Job)).all()
    assert job.status == "succeeded" and set(active(db_session)) == {"sdn", "csl"}
