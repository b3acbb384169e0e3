"""Scoring speed: one proposal against a 200-item release, and a re-score of 10,000 proposals.

Prints figures and the ratio to a bare loop that only evaluates the same compiled conditions (truth only, no explanations), so the
engine's own overhead (jurisdiction and date filtering, findings, rating) shows. Run:
    .venv/bin/python benchmarks/bench_scoring.py
"""
from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from riskdesk.engine import yamlsafe  # noqa: E402
from riskdesk.engine.checklists import build_release, read_directory  # noqa: E402
from riskdesk.engine.checklists.conditions import Facts  # noqa: E402
from riskdesk.engine.document import load_path, normalize  # noqa: E402
from riskdesk.engine.scoring import score  # noqa: E402

ON = dt.date(2026, 11, 26)


def release_with_at_least(n_items: int):
    """The shipped release, topped up with copies of its core items (new ids) to reach n_items."""
    files = read_directory(ROOT / "checklists")
    shipped = build_release(files)
    core = [name for name in files if name.startswith("core/")]
    extra, copy = [], 0
    while len(shipped.items) + len(extra) < n_items:
        for name in core:
            pack = yamlsafe.load(files[name])
            for item in pack["items"]:
                if len(shipped.items) + len(extra) >= n_items:
                    break
                extra.append({**item, "id": f"{item['id']}-COPY{copy}"})
        copy += 1
    if extra:
        files = dict(files)
        files["core/zz_benchmark_copies.yaml"] = yamlsafe.dump(
            {"pack": "benchmark-copies", "title": "Generated copies for the benchmark", "items": extra})
    return build_release(files)


def random_documents(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    bases = [load_path(p) for p in sorted((ROOT / "demo").glob("*.yaml"))]
    states = ["TX", "TN", "FL", "AR", "IN", "OR", "CA", "NY", "AL", "LA", "OK", "WA"]
    countries = ["CN", "RU", "FR", "DE", "JP", "IR", "CU", "MX", "KR", "BR", "IN", "VE"]
    tri = ["yes", "no", "unknown"]
    docs = []
    for i in range(n):
        doc = normalize(rng.choice(bases))
        doc = {**doc, "title": f"Generated proposal {i}",
               "city": {**doc["city"], "state": rng.choice(states)},
               "partner": {**doc["partner"], "country": rng.choice(countries)},
               "funding": {**doc["funding"], "travel_paid_by_partner": rng.choice(tri),
                           "gifts_to_officials": rng.choice(tri)},
               "agreement": {**doc["agreement"], "type": rng.choice(["sister_city", "mou", "friendship_city",
                                                                      "technical_cooperation"])}}
        docs.append(doc)
    return docs


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    release = release_with_at_least(200)
    truths = [item.condition.truth for item in release.items]
    print(f"release: {len(release.items)} items ({release.hash[:12]})")
    for name in ("01_french_sister_city", "04_delegation_visit_de", "02_port_mou_cn"):
        doc = normalize(load_path(ROOT / "demo" / f"{name}.yaml"))
        result = score(doc, release, on=ON)

        def engine_one():
            score(doc, release, on=ON)

        def bare_one():
            facts = Facts(doc)
            for truth in truths:
                truth(facts)

        per_engine = timed(lambda: [engine_one() for _ in range(200)], 5) / 200
        per_bare = timed(lambda: [bare_one() for _ in range(200)], 5) / 200
        print(f"{name}: {len(result.findings)} findings, {len(result.undetermined)} undetermined; "
              f"engine {per_engine * 1000:.3f} ms, bare condition loop {per_bare * 1000:.3f} ms, "
              f"ratio {per_engine / per_bare:.2f}")

    docs = random_documents(10_000)
    start = time.perf_counter()
    ratings = {}
    for d in docs:
        rating = score(d, release, on=ON).rating
        ratings[rating] = ratings.get(rating, 0) + 1
    rescore = time.perf_counter() - start
    start = time.perf_counter()
    for d in docs:
        facts = Facts(d)
        for truth in truths:
            truth(facts)
    bare = time.perf_counter() - start
    print(f"re-score 10,000 proposals: {rescore:.2f} s (bare loop {bare:.2f} s, ratio {rescore / bare:.2f})")
    print(f"rating mix: {dict(sorted(ratings.items()))}")


if __name__ == "__main__":
    main()
