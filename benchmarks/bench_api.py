"""The API's own overhead at 10,000 proposals: list, read and assess through /api/v1 vs the service directly.

    .venv/bin/python benchmarks/bench_api.py [--runs N] [--postgres]

Builds a fresh database (SQLite in a temporary folder; with ``--postgres`` also a throwaway PostgreSQL
cluster), migrates it, bulk-inserts 10,000 generated proposals (the generator of bench_proposals.py),
publishes the shipped checklists, and creates a staff user with an API token. Then, for each case, it
times ``--runs`` warm calls through the Flask test client with the Bearer token (token lookup, role
check, rate limit, SpecTree validation, serialisation) and the same number of direct calls of the
service the API view calls, each with a fresh database session, and prints the medians and their
ratio. Figures only; no assertions on time.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from benchmarks.bench_proposals import bulk_insert  # noqa: E402
from riskdesk import create_app  # noqa: E402
from riskdesk.checklists import releases  # noqa: E402
from riskdesk.db import make_engine, upgrade  # noqa: E402
from riskdesk.models import Proposal, User  # noqa: E402
from riskdesk.proposals import assessments, services  # noqa: E402
from riskdesk.users import tokens  # noqa: E402
from tests.pgcluster import throwaway_cluster  # noqa: E402

N = 10_000


def median_ms(call, runs: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def prepare(url: str, tmp: Path):
    upgrade(url)
    bulk_insert(url, N, 1, seed=17)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp),
                      "REPORTS_DIR": str(tmp / "reports"), "API_RATE_LIMIT": "1000000 per minute"})
    session = app.extensions["riskdesk.sessionmaker"]()
    user = User(username="bench", display_name="Bench", password_hash="-")
    user.roles = ["staff"]
    session.add(user)
    session.flush()
    releases.publish_directory(session, ROOT / "checklists", actor=user, note="benchmark")
    _row, secret = tokens.create_token(session, user, "benchmark")
    session.commit()
    complete = session.scalars(select(Proposal.id).where(Proposal.is_complete.is_(True)).order_by(Proposal.id)
                               .limit(1).offset(N // 3)).one()
    session.close()
    return app, secret, complete


def cases(app, secret: str, proposal_id: int):
    client = app.test_client(use_cookies=False)
    headers = {"Authorization": f"Bearer {secret}"}
    maker = app.extensions["riskdesk.sessionmaker"]

    def api_get(path):
        def call():
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return call

    def direct(work):
        def call():
            with app.app_context(), maker() as session:
                work(session)
        return call

    def api_assess():
        response = client.post(f"/api/v1/proposals/{proposal_id}/assess", headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)[:300]

    def direct_assess(session):
        actor = session.scalars(select(User).where(User.username == "bench")).one()
        assessments.assess_proposal(session, session.get(Proposal, proposal_id), actor=actor)
        session.commit()

    def direct_read(session):
        proposal = session.get(Proposal, proposal_id)
        return proposal.document, assessments.latest(proposal)

    return [
        ("list, first page (25)", api_get("/api/v1/proposals"),
         direct(lambda s: services.search(s, {}, per_page=25))),
        ("list, country=CN&status=in_review", api_get("/api/v1/proposals?country=CN&status=in_review"),
         direct(lambda s: services.search(s, {"country": "CN", "status": "in_review"}, per_page=25))),
        ("list, q=ningbo page 3", api_get("/api/v1/proposals?q=ningbo&page=3"),
         direct(lambda s: services.search(s, {"q": "ningbo", "page": "3"}, per_page=25))),
        ("read one proposal", api_get(f"/api/v1/proposals/{proposal_id}"), direct(direct_read)),
        ("assess one proposal", api_assess, direct(direct_assess)),
    ]


def run_backend(backend: str, url: str, runs: int, tmp: Path) -> None:
    t0 = time.perf_counter()
    app, secret, proposal_id = prepare(url, tmp)
    print(f"\n{backend}: {N} proposals ready in {time.perf_counter() - t0:.1f} s (proposal {proposal_id} assessed)")
    print(f"  {'case':38} {'API ms':>9} {'service ms':>11} {'ratio':>7}")
    for label, through_api, direct_call in cases(app, secret, proposal_id):
        api_ms, direct_ms = median_ms(through_api, runs), median_ms(direct_call, runs)
        print(f"  {label:38} {api_ms:9.2f} {direct_ms:11.2f} {api_ms / direct_ms:7.2f}")
    app.extensions["riskdesk.engine"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed calls per case (median printed)")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="riskdesk-bench-api-") as tmp:
        tmp = Path(tmp)
        run_backend("sqlite", f"sqlite:///{tmp / 'api.sqlite3'}", args.runs, tmp)
        if args.postgres:
            with throwaway_cluster(prefix="riskdesk-bench-pg-") as cluster:
                admin = make_engine(cluster.format(db="postgres")).execution_options(isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text("CREATE DATABASE riskdesk_bench_api"))
                try:
                    run_backend("postgresql", cluster.format(db="riskdesk_bench_api"), args.runs, tmp)
                finally:
                    admin.dispose()


if __name__ == "__main__":
    main()
