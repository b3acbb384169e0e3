"""Failed sign-in time for an unknown username against a known one (issue 13, failure 7).

    .venv/bin/python benchmarks/bench_login_timing.py [--runs N]

Creates a fresh SQLite database in a temporary folder with one account, then posts wrong passwords
through the Flask test client, alternating an unknown username and the known one, and prints the
median time of each. Before the dummy-hash fix an unknown name answered in about 5 ms against
about 111 ms for a known one. Figures only; no assertions on time.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RISKDESK_LOGIN_RATE_LIMIT", "100000 per minute")

from riskdesk import create_app  # noqa: E402
from riskdesk.db import upgrade  # noqa: E402
from riskdesk.models import User  # noqa: E402
from riskdesk.users.passwords import hash_password  # noqa: E402

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": folder,
                          "REPORTS_DIR": folder, "SESSION_COOKIE_SECURE": False, "TESTING": True})
        session = app.extensions["riskdesk.sessionmaker"]()
        session.add(User(username="stella", password_hash=hash_password("correct horse battery staple"),
                         roles_text="staff"))
        session.commit()
        session.close()
        client = app.test_client()
        times: dict[str, list[float]] = {"unknown username": [], "known username": []}
        for _ in range(runs):
            for label, name in (("unknown username", "nobody-here"), ("known username", "stella")):
                token = TOKEN.search(client.get("/auth/login").get_data(as_text=True)).group(1)
                started = time.perf_counter()
                client.post("/auth/login", data={"csrf_token": token, "username": name, "password": "wrong guess!"})
                times[label].append(time.perf_counter() - started)
        for label, values in times.items():
            print(f"{label:>17}: median {statistics.median(values) * 1000:7.1f} ms over {runs} failed sign-ins")
        app.extensions["riskdesk.engine"].dispose()


if __name__ == "__main__":
    main()
