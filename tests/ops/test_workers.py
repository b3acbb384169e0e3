"""Two gunicorn servers (two workers each) on one PostgreSQL database and one Redis, plus an RQ job worker.

Every request that matters is sent to a different process than the one before it: a session signed in on
one server is valid on the other, a save from a form loaded before another server's save is a 409 that
keeps the user's input, the sign-in rate limit counts across servers, a job started on one server is run
by the job worker and followed from the other, and a report renders under gunicorn.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from riskdesk.checklists import releases
from riskdesk.db import make_engine, make_sessionmaker
from riskdesk.engine.document import load_path
from riskdesk.models import Job, Proposal, Report
from riskdesk.proposals.assessments import assess_proposal
from riskdesk.proposals.services import create_proposal
from tests.conftest import CHECKLISTS, PASSWORD, make_user
from tests.liveserver import Client, free_port, gunicorn, job_worker, server_env
from tests.pgcluster import throwaway_database
from tests.test_web import form_data

DEMO = sorted((Path(__file__).resolve().parents[2] / "demo").glob("*.yaml"))
LOGIN_LIMIT = 6
VERSION_RE = re.compile(r'name="version_id"[^>]*value="(\d+)"')


@pytest.fixture(scope="module")
def deployment(postgres_template, postgres_cluster, redis_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("deployment")
    with throwaway_database(postgres_template, postgres_cluster, f"workers{os.getpid()}", "riskdesk_template") as url:
        engine = make_engine(url)
        with make_sessionmaker(engine)() as session:
            make_user(session, "ada", ["admin", "staff"])
            make_user(session, "stella", ["staff"])
            published = releases.publish_directory(session, CHECKLISTS)
            proposals = [create_proposal(session, load_path(path)) for path in DEMO[:3]]
            for proposal in proposals:
                assess_proposal(session, proposal)
            text = published.files["scoring.yaml"].replace("screening_severity: high", "screening_severity: critical")
            releases.publish(session, {**published.files, "scoring.yaml": text}, note="newer")
            session.commit()
            ids = [p.id for p in proposals]
        env = server_env(url, redis_server, root / "reports", root / "instance",
                         RISKDESK_LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute")
        with gunicorn(env, free_port(), 2, root / "a.log") as server_a, \
                gunicorn(env, free_port(), 2, root / "b.log") as server_b, job_worker(env, root / "worker.log"):
            yield {"a": server_a, "b": server_b, "engine": engine, "ids": ids, "reports": root / "reports",
                   "redis": redis_server, "logs": root}
        engine.dispose()


def signed_in(base: str, username: str = "ada") -> Client:
    client = Client(base)
    assert client.login(username, PASSWORD).status in (302, 303)
    return client


def test_a_session_signed_in_on_one_server_works_on_the_other(deployment):
    on_a = signed_in(deployment["a"])
    on_b = on_a.on(deployment["b"])
    page = on_b.get("/proposals")
    assert page.status == 200 and "Sign out ada" in page.text
    assert on_b.post("/auth/logout").status in (302, 303)
    assert on_a.get("/proposals").status in (302, 303)  # signed out everywhere: the cookie is gone


def test_conflicting_saves_on_two_servers_keep_the_first_and_answer_409_with_the_second_users_input(deployment):
    pid = deployment["ids"][0]
    first, second = signed_in(deployment["a"], "stella"), signed_in(deployment["b"], "ada")
    form_a, form_b = first.get(f"/proposals/{pid}/edit").text, second.get(f"/proposals/{pid}/edit").text
    version = VERSION_RE.search(form_a).group(1)
    assert VERSION_RE.search(form_b).group(1) == version
    with make_sessionmaker(deployment["engine"])() as session:
        document = session.get(Proposal, pid).document
    saved = first.post(f"/proposals/{pid}/edit", form_data(dict(document, title="Saved on server A"), save="1",
                                                           version_id=version), token_from=f"/proposals/{pid}/edit")
    assert saved.status in (302, 303), saved.text[:500]
    refused = second.post(f"/proposals/{pid}/edit", form_data(dict(document, title="Typed on server B"), save="1",
                                                              version_id=version), token_from=f"/proposals/{pid}/edit")
    assert refused.status == 409 and 'value="Typed on server B"' in refused.text
    with make_sessionmaker(deployment["engine"])() as session:
        assert session.get(Proposal, pid).title == "Saved on server A"


def test_a_job_started_on_one_server_is_run_by_the_worker_and_followed_on_the_other(deployment):
    admin = signed_in(deployment["a"])
    with make_sessionmaker(deployment["engine"])() as session:
        # an earlier test's "Save and check" may have re-assessed one proposal already
        active = releases.active_release(session)
        stale = [pid for pid in deployment["ids"] if session.get(Proposal, pid).assessments[-1].release_id != active.id]
    assert stale
    started = admin.post("/admin/checklists/reassess", token_from="/admin/checklists")
    assert started.status in (302, 303)
    job_id = int(re.search(r"/admin/jobs/(\d+)$", started.headers["Location"]).group(1))
    follower = admin.on(deployment["b"])
    deadline = time.monotonic() + 120
    while (state := follower.get(f"/admin/jobs/{job_id}.json").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, (deployment["logs"] / "worker.log").read_text()[-2000:]
        time.sleep(0.2)
    assert state["status"] == "succeeded", state
    assert state["done"] == state["total"] == len(deployment["ids"])
    with make_sessionmaker(deployment["engine"])() as session:
        job = session.get(Job, job_id)
        assert job.result["reassessed"] == len(stale)
        for pid in deployment["ids"]:
            assert session.get(Proposal, pid).assessments[-1].release_id == active.id


def test_a_report_is_issued_through_the_render_worker_under_gunicorn(deployment):
    pid = deployment["ids"][1]
    issued = signed_in(deployment["b"]).post(f"/proposals/{pid}/issue", token_from=f"/proposals/{pid}")
    assert issued.status in (302, 303), issued.text[:500]
    with make_sessionmaker(deployment["engine"])() as session:
        report = session.scalars(select(Report).where(Report.proposal_id == pid)).one()
    data = (deployment["reports"] / report.filename).read_bytes()
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == report.sha256


def test_the_sign_in_rate_limit_counts_attempts_on_every_server(deployment):
    from redis import Redis

    redis = Redis.from_url(deployment["redis"])
    for key in redis.scan_iter("*LIMIT*"):  # forget the sign-ins of the tests above
        redis.delete(key)
    answers = []
    for attempt in range(LOGIN_LIMIT + 1):
        client = Client(deployment["a" if attempt % 2 else "b"])
        answers.append(client.login("ada", "wrong password").status)
    assert answers == [401] * LOGIN_LIMIT + [429]


def test_the_access_log_records_requests(deployment):
    log = (deployment["logs"] / "a.log").read_text()
    assert re.search(r'"GET /healthz HTTP/1\.1" 200 \d+ \d+us', log), log[-1000:]
