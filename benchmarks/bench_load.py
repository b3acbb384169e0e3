"""Load test of a production-shaped deployment on loopback: 4 gunicorn workers, PostgreSQL, Redis, a job worker.

    python benchmarks/bench_load.py [--requests 3000] [--clients 8] [--workers 4] [--time-limit 600]

Starts a throwaway PostgreSQL cluster and Redis server (Unix sockets, removed afterwards), migrates and seeds
a database (an administrator, one staff account per client, the shipped checklists, 20 assessed proposals),
serves it with ``python -m riskdesk serve --production`` on 127.0.0.1 and sends a bounded mix of requests from
``--clients`` threads, each signed in as its own staff member:

* reading (the proposal list, a proposal page),
* editing: load the form, pause, save a new title; the edits go to 4 "hot" proposals so that saves conflict,
* assessing a proposal, and issuing its council report (a real PDF render).

It stops after ``--requests`` requests or ``--time-limit`` seconds, whichever comes first, and prints the
throughput, p50/p95 latency per kind of request, the errors (5xx, unexpected statuses, exceptions), and a
no-lost-write check from the database: every accepted edit is in the audit trail and no two accepted edits
were made from the same version (the last one is the stored title), every 409 page kept what the user typed,
and the assessment, report and audit rows match the accepted requests (each report file's sha256 intact).
Issuing is idempotent per click: a client posts the ``replaces`` value its page shows, and a click that
another client's issue overtook is answered with that report (counted apart, not as a new report).

Figures only; no assertions on time. Exits 1 when the no-lost-write check fails.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from markupsafe import escape  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from riskdesk.checklists import releases  # noqa: E402
from riskdesk.db import make_engine, make_sessionmaker, upgrade  # noqa: E402
from riskdesk.engine.document import load_path  # noqa: E402
from riskdesk.models import Assessment, AuditEvent, Proposal, Report, User  # noqa: E402
from riskdesk.proposals.assessments import assess_proposal  # noqa: E402
from riskdesk.proposals.services import create_proposal  # noqa: E402
from riskdesk.users.passwords import hash_password  # noqa: E402
from tests.liveserver import CSRF_RE, Client, free_port, gunicorn, job_worker, server_env  # noqa: E402
from tests.pgcluster import throwaway_cluster  # noqa: E402
from tests.redisserver import throwaway_redis  # noqa: E402
from tests.test_web import form_data  # noqa: E402

PASSWORD = "benchmark password 123"
PROPOSALS, HOT = 20, 4
MIX = (("read", 0.62), ("edit", 0.26), ("assess", 0.09), ("issue", 0.03))
VERSION_RE = re.compile(r'name="version_id"[^>]*value="(\d+)"')
REPLACES_RE = re.compile(r'name="replaces" value="(\d+)"')
ISSUED_NOW = "Report issued. It will never change"


def seed(url: str, clients: int) -> dict:
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        for name in ["admin"] + [f"staff{i}" for i in range(clients)]:
            user = User(username=name, display_name=name, password_hash=hash_password(PASSWORD))
            user.roles = ["admin", "staff"] if name == "admin" else ["staff"]
            session.add(user)
        releases.publish_directory(session, ROOT / "checklists", note="benchmark")
        demo = sorted((ROOT / "demo").glob("*.yaml"))
        documents = {}
        for index in range(PROPOSALS):
            document = load_path(demo[index % len(demo)])
            document["title"] = f"{document['title']} (copy {index + 1})"
            proposal = create_proposal(session, document)
            assess_proposal(session, proposal)
            documents[proposal.id] = proposal.document
        session.commit()
    return {"engine": engine, "documents": documents}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)
        self.errors = collections.Counter()
        self.accepted_edits = []  # (proposal id, version edited from, title)
        self.conflicts = self.conflicts_kept = 0
        self.assessed = collections.Counter()
        self.issued = collections.Counter()
        self.issue_replays = 0  # issue clicks answered with the report another client had just issued
        self.count = 0

    def timed(self, kind: str, call, *expected):
        started = time.perf_counter()
        try:
            answer = call()
        except OSError as exc:
            with self.lock:
                self.errors[f"{kind}: {type(exc).__name__}"] += 1
                self.count += 1
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latency[kind].append(elapsed)
            self.count += 1
            if answer.status not in expected:
                self.errors[f"{kind}: HTTP {answer.status}"] += 1
        return answer


def edit(client: Client, rec: Recorder, pid: int, document: dict, label: str, rng: random.Random) -> None:
    form = rec.timed("edit form", lambda: client.get(f"/proposals/{pid}/edit"), 200)
    if form is None or form.status != 200:
        return
    version, token = VERSION_RE.search(form.text).group(1), CSRF_RE.search(form.text).group(1)
    time.sleep(rng.uniform(0, 0.05))  # a person reads before saving: other saves land meanwhile
    title = f"{document['title'].split(' [')[0]} [{label}]"
    data = form_data(dict(document, title=title), save="1", version_id=version)
    answer = rec.timed("edit save", lambda: client.post(f"/proposals/{pid}/edit", data, token=token), 302, 409)
    if answer is None:
        return
    with rec.lock:
        if answer.status == 302:
            rec.accepted_edits.append((pid, int(version), title))
        elif answer.status == 409:
            rec.conflicts += 1
            rec.conflicts_kept += f'value="{escape(title)}"' in answer.text


def post_action(client: Client, rec: Recorder, kind: str, pid: int, counter: collections.Counter) -> None:
    page = rec.timed("read", lambda: client.get(f"/proposals/{pid}"), 200)
    if page is None or page.status != 200:
        return
    token = CSRF_RE.search(page.text).group(1)
    path = f"/proposals/{pid}/{'assess' if kind == 'assess' else 'issue'}"
    data = {}
    if kind == "issue" and (replaces := REPLACES_RE.search(page.text)):
        data["replaces"] = replaces.group(1)  # the button the page shows: "Issue the report again"
    answer = rec.timed(kind, lambda: client.post(path, data, token=token), 302)
    if answer is None or answer.status != 302:
        return
    if kind == "issue":
        # issuing is idempotent per click: when another client issued first, the answer is the existing
        # report, said on the page the redirect leads to
        landing = rec.timed("read", lambda: client.get(f"/proposals/{pid}"), 200)
        if landing is None or ISSUED_NOW not in landing.text:
            with rec.lock:
                rec.issue_replays += 1
            return
    with rec.lock:
        counter[pid] += 1


def person(base: str, index: int, rec: Recorder, documents: dict, budget: int, deadline: float) -> None:
    rng = random.Random(index)
    client = Client(base)
    rec.timed("sign in", lambda: client.login(f"staff{index}", PASSWORD), 302)
    ids = sorted(documents)
    step = 0
    while rec.count < budget and time.monotonic() < deadline:
        step += 1
        kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        if kind == "read":
            if rng.random() < 0.5:
                rec.timed("read", lambda: client.get("/proposals"), 200)
            else:
                pid = rng.choice(ids)
                rec.timed("read", lambda: client.get(f"/proposals/{pid}"), 200)
        elif kind == "edit":
            pid = rng.choice(ids[:HOT])
            edit(client, rec, pid, documents[pid], f"c{index}-{step}", rng)
        else:
            counter = rec.assessed if kind == "assess" else rec.issued
            post_action(client, rec, kind, rng.choice(ids[HOT:]), counter)


def check(engine, rec: Recorder, documents: dict, reports_dir: Path) -> list[str]:
    """The no-lost-write check; returns its failures (empty when every write is accounted for)."""
    problems = []
    with make_sessionmaker(engine)() as session:
        for pid in sorted(documents)[:HOT]:
            mine = [e for e in rec.accepted_edits if e[0] == pid]
            versions = [v for _, v, _ in mine]
            if len(set(versions)) != len(versions):
                problems.append(f"proposal {pid}: two accepted edits were made from the same version")
            audit = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "proposal.edit", AuditEvent.object_id == str(pid)))
            if audit != len(mine):
                problems.append(f"proposal {pid}: {len(mine)} accepted edits but {audit} edit audit rows")
            stored = session.get(Proposal, pid).title
            if mine and stored != max(mine, key=lambda e: e[1])[2]:
                problems.append(f"proposal {pid}: stored title {stored!r} is not the last accepted edit's")
        for pid in sorted(documents)[HOT:]:
            assessments = session.scalar(select(func.count()).select_from(Assessment)
                                         .where(Assessment.proposal_id == pid))
            audit = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "proposal.assess", AuditEvent.object_id == str(pid)))
            if assessments != 1 + rec.assessed[pid] or audit != rec.assessed[pid] + 1:
                problems.append(f"proposal {pid}: {rec.assessed[pid]} accepted assessments, "
                                f"{assessments - 1} stored, {audit - 1} audited")
            rows = session.scalars(select(Report).where(Report.proposal_id == pid)).all()
            if len(rows) != rec.issued[pid]:
                problems.append(f"proposal {pid}: {rec.issued[pid]} reports issued, {len(rows)} stored")
            for row in rows:
                if hashlib.sha256((reports_dir / row.filename).read_bytes()).hexdigest() != row.sha256:
                    problems.append(f"report {row.id}: file does not match its sha256")
    if rec.conflicts_kept != rec.conflicts:
        problems.append(f"{rec.conflicts - rec.conflicts_kept} of {rec.conflicts} conflict pages lost the user's input")
    return problems


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(rec: Recorder, elapsed: float, workers: int, clients: int) -> None:
    total = sum(len(v) for v in rec.latency.values())
    print(f"{total} requests in {elapsed:.1f} s from {clients} clients to {workers} gunicorn workers: "
          f"{total / elapsed:.1f} requests/s")
    print(f"{'request':<12}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}")
    everything = [x for values in rec.latency.values() for x in values]
    for kind in ("read", "edit form", "edit save", "assess", "issue", "sign in"):
        values = rec.latency.get(kind, [])
        if values:
            print(f"{kind:<12}{len(values):>7}{statistics.median(values) * 1000:>9.1f}"
                  f"{percentile(values, 0.95) * 1000:>9.1f}")
    print(f"{'all':<12}{len(everything):>7}{statistics.median(everything) * 1000:>9.1f}"
          f"{percentile(everything, 0.95) * 1000:>9.1f}")
    print(f"accepted edits {len(rec.accepted_edits)}, conflicts (409) {rec.conflicts}, "
          f"assessments {sum(rec.assessed.values())}, reports issued {sum(rec.issued.values())} "
          f"(and {rec.issue_replays} issue clicks answered with the report another client had just issued)")
    print("errors: " + (", ".join(f"{k} x{n}" for k, n in sorted(rec.errors.items())) or "none"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=600)
    args = parser.parse_args()
    with throwaway_cluster("riskdesk-load-pg-") as template, throwaway_redis("riskdesk-load-redis-") as redis_url, \
            tempfile.TemporaryDirectory(prefix="riskdesk-load-") as tmp:
        from sqlalchemy import text

        admin = make_engine(template.format(db="postgres")).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE riskdesk_load"))
        admin.dispose()
        url = template.format(db="riskdesk_load")
        seeded = seed(url, args.clients)
        root = Path(tmp)
        env = server_env(url, redis_url, root / "reports", root / "instance",
                         RISKDESK_LOGIN_RATE_LIMIT="10000 per minute", RISKDESK_ACCESS_LOG=str(root / "access.log"))
        with gunicorn(env, free_port(), args.workers, root / "server.log") as base, job_worker(env, root / "jobs.log"):
            rec = Recorder()
            deadline = time.monotonic() + args.time_limit
            threads = [threading.Thread(target=person, args=(base, i, rec, seeded["documents"], args.requests,
                                                             deadline)) for i in range(args.clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        report(rec, elapsed, args.workers, args.clients)
        problems = check(seeded["engine"], rec, seeded["documents"], root / "reports")
        seeded["engine"].dispose()
        print("no-lost-write check: " + ("passed" if not problems else "FAILED"))
        for problem in problems:
            print(f"  {problem}")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
