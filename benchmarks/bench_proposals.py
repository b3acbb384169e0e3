"""Proposal list speed at 1,000 and 10,000 generated proposals (issue 2, item 5).

    .venv/bin/python benchmarks/bench_proposals.py [--runs N] [--postgres]

Creates a fresh SQLite database in a temporary folder, migrates it (Alembic, as the app does), bulk-inserts
generated proposals with a realistic spread of states, countries, agreement types and statuses, and times
the proposal list through the Flask test client, signed in as staff: first page, a deep page (page 300),
a text search, each filter (state, country, type, status) and a combination. It prints the median of
``--runs`` warm requests for each page at 1,000 and at 10,000 proposals and the ratio 10k / 1k, then the
query plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) of the SQL the list page really sends
for the filtered pages, captured from the app's engine. With ``--postgres`` it does the same on a
throwaway PostgreSQL cluster (initdb/pg_ctl on the PATH, Unix socket only, removed afterwards).

Figures only; no assertions on time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RISKDESK_LOGIN_RATE_LIMIT", "1000 per minute")

from sqlalchemy import event, insert, text  # noqa: E402

from riskdesk import create_app  # noqa: E402
from riskdesk.db import make_engine, make_sessionmaker, upgrade  # noqa: E402
from riskdesk.engine.document import load_path, normalize  # noqa: E402
from riskdesk.models import Proposal, User  # noqa: E402
from riskdesk.users.passwords import hash_password  # noqa: E402
from tests.pgcluster import throwaway_cluster  # noqa: E402

PASSWORD = "benchmark password 123"
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)

# Weighted like a real caseload: a few states and countries dominate, most proposals are sister-city or
# friendship ties and MoUs, and most sit in draft / submitted / in review.
STATES = {"CA": 14, "TX": 12, "NY": 8, "FL": 8, "WA": 5, "OR": 4, "IL": 5, "OH": 4, "PA": 4, "MI": 3, "GA": 3,
          "NC": 3, "VA": 3, "AZ": 3, "CO": 3, "TN": 2, "MN": 2, "MA": 3, "NJ": 2, "IN": 2, "MO": 2, "LA": 1,
          "AL": 1, "AR": 1, "OK": 1, "KY": 1, "UT": 1, "NV": 1, "HI": 1, "AK": 1}
COUNTRIES = {"CN": 18, "JP": 10, "MX": 9, "DE": 7, "FR": 7, "KR": 6, "TW": 4, "IT": 4, "GB": 4, "IE": 3, "BR": 3,
             "IN": 3, "PH": 3, "VN": 2, "IL": 2, "UA": 2, "RU": 2, "CA": 3, "ES": 2, "NL": 2, "PL": 1, "NG": 1,
             "KE": 1, "EG": 1, "TR": 1, "CU": 0.3, "IR": 0.2, "VE": 0.5}
TYPES = {"sister_city": 35, "friendship_city": 15, "mou": 15, "technical_cooperation": 8, "economic_development": 9,
         "delegation_visit": 8, "network_membership": 3, "grant_or_donation": 3, "other": 4}
AGREEMENT_STATUSES = {"new": 60, "renewal": 20, "amendment": 8, "existing_review": 12}
STATUSES = {"draft": 25, "submitted": 15, "in_review": 20, "approved": 20, "approved_with_conditions": 8,
            "declined": 5, "withdrawn": 7}
CITY_NAMES = ["Springfield", "Riverside", "Franklin", "Greenville", "Fairview", "Salem", "Madison", "Georgetown",
              "Clinton", "Arlington", "Ashland", "Burlington", "Manchester", "Oxford", "Dayton", "Lexington",
              "Milford", "Newport", "Bristol", "Corvallis", "Tacoma", "Galveston", "Savannah", "Portland"]
PARTNER_TOWNS = ["Vienne", "Ningbo", "Qingdao", "Kanazawa", "Guadalajara", "Heidelberg", "Lyon", "Busan", "Taichung",
                 "Bologna", "Cork", "Curitiba", "Pune", "Cebu", "Da Nang", "Haifa", "Lviv", "Kazan", "Quebec",
                 "Sevilla", "Utrecht", "Gdansk", "Lagos", "Mombasa", "Alexandria", "Izmir", "Shenzhen", "Osaka"]
PARTNER_KINDS = ["Municipal People's Government of", "City of", "Ville de", "Stadt", "Port Authority of",
                 "University of", "Chamber of Commerce of", "Friendship Association of"]
TOPICS = ["Sister-city agreement with", "Friendship ties with", "Port cooperation MoU with",
          "Technical cooperation with", "Trade mission to", "Youth exchange with", "Smart-city pilot with",
          "Delegation visit from", "Climate partnership with", "Cultural exchange with"]
SECTORS = ["culture_arts", "education_youth", "tourism", "trade_investment", "ports_logistics", "energy",
           "smart_city_data", "health", "climate_environment", "sports", "research_technology"]


def weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def generate_rows(n: int, start: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    bases = [normalize(load_path(p)) for p in sorted((ROOT / "demo").glob("*.yaml"))]
    rows = []
    for i in range(start, start + n):
        state, country = weighted(rng, STATES), weighted(rng, COUNTRIES)
        atype, astatus, status = weighted(rng, TYPES), weighted(rng, AGREEMENT_STATUSES), weighted(rng, STATUSES)
        city, town = rng.choice(CITY_NAMES), rng.choice(PARTNER_TOWNS)
        partner = f"{rng.choice(PARTNER_KINDS)} {town}"
        title = f"{rng.choice(TOPICS)} {town} #{i}"
        base = rng.choice(bases)
        document = {**base, "title": title,
                    "city": {**base["city"], "name": city, "state": state},
                    "partner": {**base["partner"], "name": partner, "city": town, "country": country},
                    "agreement": {**base["agreement"], "type": atype, "status": astatus},
                    "sectors": rng.sample(SECTORS, rng.randint(1, 3))}
        created = NOW - dt.timedelta(days=rng.uniform(0, 3 * 365))
        updated = created + dt.timedelta(days=rng.uniform(0, (NOW - created).days or 1))
        rows.append({"title": title, "city_name": city, "city_state": state, "partner_name": partner,
                     "partner_country": country, "agreement_type": atype, "agreement_status": astatus,
                     "status": status, "document": document, "is_complete": status != "draft" or rng.random() < 0.4,
                     "version_id": 1, "created_at": created, "updated_at": updated, "conditions": []})
    return rows


def bulk_insert(url: str, n: int, start: int, seed: int) -> float:
    rows = generate_rows(n, start, seed)
    engine = make_engine(url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for chunk in range(0, len(rows), 2000):
            conn.execute(insert(Proposal.__table__), rows[chunk:chunk + 2000])  # executemany
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")  # fresh statistics, as a maintained database would have
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def make_staff(url: str) -> None:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        user = User(username="bench", display_name="Bench Staff", password_hash=hash_password(PASSWORD))
        user.roles = ["staff"]
        session.add(user)
        session.commit()
    engine.dispose()


CASES = [
    ("first page", "/proposals"),
    ("deep page (page=300)", "/proposals?page=300"),
    ("search q=ningbo", "/proposals?q=ningbo"),
    ("search q=no-such-text", "/proposals?q=no-such-text"),
    ("filter state=TX", "/proposals?state=TX"),
    ("filter country=CN", "/proposals?country=CN"),
    ("filter type=mou", "/proposals?type=mou"),
    ("filter status=in_review", "/proposals?status=in_review"),
    ("filter status=in_review p=20", "/proposals?status=in_review&page=20"),
    ("combo state+country+type+status", "/proposals?state=CA&country=CN&type=sister_city&status=submitted"),
    ("combo q + country + status", "/proposals?q=port&country=CN&status=in_review"),
]
EXPLAINED = [label for label, _ in CASES if label.startswith(("filter", "combo", "search q=ningbo"))]


def make_app(url: str, tmp: Path):
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp),
                       "REPORTS_DIR": str(tmp / "reports"), "SESSION_COOKIE_SECURE": False,
                       "REMEMBER_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False})


def signed_in_client(app):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "bench", "password": PASSWORD})
    if response.status_code not in (302, 303):
        raise SystemExit(f"login failed: HTTP {response.status_code}")
    return client


def time_cases(app, runs: int) -> dict[str, float]:
    client = signed_in_client(app)
    medians = {}
    for label, url in CASES:
        response = client.get(url)  # warm-up (template compilation, statement cache)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
        medians[label] = statistics.median(samples)
    return medians


def captured_statements(app, url: str) -> list[tuple[str, object]]:
    """The SQL (with parameters) the list page sends for ``url`` that reads the proposal table."""
    engine = app.extensions["riskdesk.engine"]
    seen: list[tuple[str, object]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _executemany):
        if "FROM proposal" in statement and "assessment" not in statement.split("FROM", 1)[1][:40]:
            seen.append((statement, parameters))

    client = signed_in_client(app)
    event.listen(engine, "before_cursor_execute", grab)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen


def explain(app, url: str, backend: str) -> list[str]:
    engine = app.extensions["riskdesk.engine"]
    lines = []
    for statement, parameters in captured_statements(app, url):
        kind = "count" if "count(" in statement.lower() else "page"
        prefix = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(prefix + statement, parameters).all()
        lines.append(f"    [{kind} query]")
        if backend == "sqlite":
            lines += [f"      {row[-1]}" for row in plan]
        else:
            lines += [f"      {row[0]}" for row in plan]
    return lines


def run_backend(backend: str, url_for_db, runs: int, tmp: Path) -> None:
    print(f"\n=== {backend} ===")
    url = url_for_db("riskdesk_bench")
    t0 = time.perf_counter()
    upgrade(url)
    print(f"migrated an empty database in {(time.perf_counter() - t0) * 1000:.0f} ms")
    make_staff(url)

    results = {}
    for total, (start, n, seed) in ((1_000, (0, 1_000, 1)), (10_000, (1_000, 9_000, 2))):
        took = bulk_insert(url, n, start, seed)
        print(f"inserted {n:,} proposals (now {total:,}) in {took:.2f} s")
        app = make_app(url, tmp / f"{backend}-{total}")
        results[total] = time_cases(app, runs)
        if total == 10_000:
            print(f"\nlist page, median of {runs} warm requests (ms), signed in as staff, 25 per page:")
            print(f"  {'page':36} {'1k':>8} {'10k':>8} {'10k/1k':>7}")
            for label, _ in CASES:
                a, b = results[1_000][label], results[10_000][label]
                print(f"  {label:36} {a:8.1f} {b:8.1f} {b / a:7.2f}")
            print("  (at 1k there are 40 pages, so page=300 is clamped to the last page, 40)")
            print(f"\nquery plans at 10,000 proposals ({'EXPLAIN QUERY PLAN' if backend == 'sqlite' else 'EXPLAIN'}):")
            for label, path in CASES:
                if label in EXPLAINED:
                    print(f"  {label}  ({path})")
                    for line in explain(app, path, backend):
                        print(line)
        app.extensions["riskdesk.engine"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed requests per page (median printed)")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="riskdesk-bench-") as tmp:
        tmp = Path(tmp)
        run_backend("sqlite", lambda name: f"sqlite:///{tmp / (name + '.sqlite3')}", args.runs, tmp)
        if args.postgres:
            with throwaway_cluster(prefix="riskdesk-bench-pg-") as cluster:
                admin = make_engine(cluster.format(db="postgres")).execution_options(isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text("CREATE DATABASE riskdesk_bench"))
                try:
                    run_backend("postgresql", lambda name: cluster.format(db=name), args.runs, tmp)
                finally:
                    admin.dispose()


if __name__ == "__main__":
    main()
