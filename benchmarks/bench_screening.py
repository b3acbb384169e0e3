"""Screening benchmark: speed and quality of riskdesk.screening against peers.

Run:  .venv/bin/python benchmarks/bench_screening.py [--quick]

Prints figures only; never asserts. Compares, on the full OFAC SDN file (names and
aliases) and the labelled evaluation set of riskdesk.screening.evaluation:

* our Matcher (blocking index + rapidfuzz scoring), at DEFAULT_THRESHOLD;
* a plain loop of rapidfuzz.process.extractOne (WRatio, default_process) over every
  listed name and alias, flagged at the same numeric cutoff;
* OpenSanctions' nomenklatura matchers ``logic-v1`` and ``ofac`` (install with
  ``pip install -r benchmarks/requirements.txt``), flagged at 0.70 (yente's default).
  nomenklatura compares entity pairs and has no index of its own here, so it scores the
  union of our blocking candidates and rapidfuzz's top 10 per query; its time covers
  that pair scoring only (a full scan is extrapolated from a few queries).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402

from riskdesk.engine.screening import normalize  # noqa: E402
from riskdesk.engine.screening.evaluation import build_evaluation_set, evaluate  # noqa: E402
from riskdesk.engine.screening.importers import parse_file  # noqa: E402
from riskdesk.engine.screening.matcher import DEFAULT_THRESHOLD, Matcher  # noqa: E402

NK_THRESHOLD = 0.70
NK_SWEEP = (0.8, 0.9, 0.95)  # same scores, stricter flags (time is that of the 0.70 run)


def shared_dir() -> Path:
    return Path(os.environ.get("RISKDESK_SHARED_DIR", ROOT.parent / "shared"))


def clear_caches() -> None:
    normalize.name_tokens.cache_clear()
    normalize.skeleton.cache_clear()
    normalize.phonetic.cache_clear()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller evaluation set, skip nomenklatura full-scan estimate")
    args = ap.parse_args()

    sdn_path = shared_dir() / "data" / "ofac-sdn-2024-05-03.csv"
    t = time.perf_counter()
    parsed = parse_file(sdn_path, "sdn")
    t_parse = time.perf_counter() - t
    entries = parsed.entries
    n_aliases = sum(len(e.aliases) for e in entries)
    print(f"SDN file: {parsed.record_count:,} entries, {n_aliases:,} aliases, parsed in {ms(t_parse)}")

    clear_caches()
    t = time.perf_counter()
    matcher = Matcher(entries)
    t_build = time.perf_counter() - t
    print(f"index build: {ms(t_build)} ({len(matcher._names):,} names, {len(matcher._vocab):,} terms)")

    size = 250 if args.quick else 700
    cases = build_evaluation_set(entries, positives=size, negatives=size)
    rng = random.Random(7)
    sample = rng.sample([c for c in cases if c.positive], 50) + rng.sample([c for c in cases if not c.positive], 50)
    names100 = [c.query for c in sample]

    # ---------------------------------------------------------------- speed, 100 names
    print("\n== speed: 100 names (50 listed-name variants, 50 ordinary names) ==")
    clear_caches()
    fresh = Matcher(entries)
    t, c = time.perf_counter(), time.process_time()
    for q in names100:
        fresh.screen(q)
    t_ours_cold, c_ours_cold = time.perf_counter() - t, time.process_time() - c
    warm, warm_cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        for q in names100:
            matcher.screen(q)
        warm.append(time.perf_counter() - t)
        warm_cpu.append(time.process_time() - c)
    t_ours, c_ours = statistics.median(warm), statistics.median(warm_cpu)

    choices: list[str] = []
    choice_uid: list[str] = []
    for e in entries:
        for n in e.names:
            choices.append(n)
            choice_uid.append(e.uid)
    processed = [utils.default_process(c) for c in choices]

    def loop_one(q: str):
        return process.extractOne(
            utils.default_process(q), processed, scorer=fuzz.WRatio, processor=None, score_cutoff=DEFAULT_THRESHOLD
        )

    t, c = time.perf_counter(), time.process_time()
    for q in names100:
        loop_one(q)
    t_loop, c_loop = time.perf_counter() - t, time.process_time() - c
    print("                          wall clock (CPU time)")
    print(f"riskdesk Matcher        : {ms(t_ours_cold)} ({ms(c_ours_cold)}) first run, cold caches")
    print(f"                          {ms(t_ours)} ({ms(c_ours)}) median of 5 warm runs")
    print(f"extractOne loop         : {ms(t_loop)} ({ms(c_loop)}) over {len(choices):,} names+aliases (pre-processed once)")
    print(
        f"ratio loop / Matcher    : {t_loop / t_ours_cold:.0f}x cold, {t_loop / t_ours:.0f}x warm "
        f"(CPU time: {c_loop / c_ours_cold:.0f}x cold, {c_loop / c_ours:.0f}x warm)"
    )

    # ---------------------------------------------------------------- quality
    pos = sum(c.positive for c in cases)
    print(f"\n== quality: {pos} listed-name variants, {len(cases) - pos} ordinary names ==")
    rows = []
    r = evaluate(lambda q: [h.entry.uid for h in matcher.screen(q)], cases)
    rows.append(("riskdesk Matcher @%g" % DEFAULT_THRESHOLD, r))

    def loop_screen(q: str):
        hit = loop_one(q)
        return [choice_uid[hit[2]]] if hit else []

    r_loop = evaluate(loop_screen, cases)
    rows.append(("extractOne loop @%g" % DEFAULT_THRESHOLD, r_loop))

    nk_note = ""
    try:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm
        from nomenklatura.matching.types import ScoringConfig
    except Exception as exc:  # pragma: no cover - depends on optional install
        nk_note = f"nomenklatura not available ({exc.__class__.__name__}: {exc}); pip install -r benchmarks/requirements.txt"
    else:
        schema = {"person": "Person", "entity": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
        by_uid = {e.uid: e for e in entries}
        ent_cache: dict = {}

        def list_entity(uid: str):
            proxy = ent_cache.get(uid)
            if proxy is None:
                e = by_uid[uid]
                proxy = model.make_entity(schema.get(e.kind, "LegalEntity"))
                proxy.id = uid
                for n in e.names:
                    proxy.add("name", n)
                ent_cache[uid] = proxy
            return proxy

        def query_entity(case):
            proxy = model.make_entity("Person" if case.kind == "person" else "Organization")
            proxy.id = "query"
            proxy.add("name", case.query)
            return proxy

        def candidates(q: str) -> list[str]:
            uids = {matcher.entries[matcher._names[nid].entry_idx].uid for nid in matcher._candidates(normalize.name_tokens(q))}
            for _, _, idx in process.extract(utils.default_process(q), processed, scorer=fuzz.WRatio, processor=None, limit=10):
                uids.add(choice_uid[idx])
            return sorted(uids)

        cand = {c.query: candidates(c.query) for c in cases}
        n_pairs = sum(len(v) for v in cand.values())
        config = ScoringConfig.defaults()
        by_query = {c.query: c for c in cases}
        for c in cases:  # build list entities up front so that only scoring is timed
            for u in cand[c.query]:
                list_entity(u)
        for alg_name in ("logic-v1", "ofac"):
            alg = get_algorithm(alg_name)
            scores: dict[str, list[tuple[str, float]]] = {}

            def nk_screen(q: str, alg=alg, scores=scores):
                qe = query_entity(by_query[q])
                scores[q] = [(u, alg.compare(qe, list_entity(u), config).score) for u in cand[q]]
                return [u for u, sc in scores[q] if sc >= NK_THRESHOLD]

            res = evaluate(nk_screen, cases)
            rows.append((f"nomenklatura {alg_name} @{NK_THRESHOLD}", res))
            for thr in NK_SWEEP:
                swept = evaluate(lambda q, thr=thr, scores=scores: [u for u, sc in scores[q] if sc >= thr], cases)
                swept.seconds = res.seconds
                rows.append((f"nomenklatura {alg_name} @{thr}", swept))
        nk_note = (
            f"nomenklatura scored {n_pairs:,} query/entry pairs ({n_pairs / len(cases):.1f} per query: our "
            "blocking candidates + rapidfuzz top 10); its times exclude candidate generation."
        )
        if not args.quick:
            alg = get_algorithm("logic-v1")
            t = time.perf_counter()
            for c in sample[:2]:
                qe = query_entity(c)
                for e in entries:
                    alg.compare(qe, list_entity(e.uid), config)
            per_query = (time.perf_counter() - t) / 2
            nk_note += f"\nnomenklatura logic-v1 full scan (no blocking), extrapolated from 2 queries: {per_query * 100:,.0f} s per 100 names"

    print(f"{'matcher':34} {'recall':>8} {'FPR':>7} {'time':>12} {'per 100 names':>14}")
    for label, res in rows:
        per100 = res.seconds / (res.positives + res.negatives) * 100
        print(
            f"{label:34} {100 * res.recall:7.1f}% {100 * res.false_positive_rate:6.1f}% "
            f"{ms(res.seconds):>12} {ms(per100):>14}"
        )
    if nk_note:
        print(nk_note)
    print("\nrecall by variant (riskdesk Matcher):")
    for k, v in rows[0][1].recall_by_variant.items():
        print(f"  {k:18} {100 * v:5.1f}%")
    misses = rows[0][1].misses
    if misses:
        print(f"missed ({len(misses)}): " + "; ".join(f"{m.query!r} for {m.listed_name!r}" for m in misses[:8]))
    fps = rows[0][1].false_positives
    if fps:
        print(f"false positives ({len(fps)}): " + "; ".join(f"{c.query!r}" for c, _ in fps[:8]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
