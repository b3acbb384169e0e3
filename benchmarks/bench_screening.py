"""Screening benchmark: quality and speed of riskdesk's matcher, before and after, beside peers.

Run:  .venv/bin/python benchmarks/bench_screening.py [--quick] [--baseline REV] [--no-nomenklatura]

Prints figures only; never asserts. Three labelled sets, all screened against the full OFAC SDN
file (names and the a.k.a.s of its remarks; no alt.csv is in the shared data):

* the real-variant development set ``../shared/data/screening-dev-set.jsonl`` (spellings real list
  publishers used for SDN parties, and real clean names): "same-name recall" on the rows other than
  ``other_name`` (true aliases no name matcher finds without alias data), recall on all positives,
  and the false-positive rate on the negatives;
* the generated set of riskdesk.engine.screening.evaluation (variants of SDN names made by code).

Matchers, each at its own default threshold:

* riskdesk's Matcher now, and the one at git revision ``--baseline`` (default: the commit before
  issue 15), loaded from that revision into a temporary package;
* a plain rapidfuzz extractOne(WRatio) loop over every name and alias, at the same cutoff (88);
* OpenSanctions' nomenklatura ``logic-v2`` (and ``logic-v1``), flagged at 0.70 (yente's default),
  when installed from benchmarks/requirements.txt. It compares entity pairs and has no index
  here, so it scores the union of our blocking candidates and rapidfuzz's top 10 per query; its
  time covers that pair scoring only.

"names/s (1 core)" is distinct queries divided by the CPU time of one screening loop over all the
sets of that matcher in this one process (the matchers are single-threaded); riskdesk's and the
extractOne loop's after a first, warming pass over the same names, nomenklatura's without one.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402

from riskdesk.engine.screening.evaluation import (  # noqa: E402
    build_evaluation_set,
    evaluate,
    load_dev_set,
    same_name,
)
from riskdesk.engine.screening.importers import parse_file  # noqa: E402
from riskdesk.engine.screening.matcher import DEFAULT_THRESHOLD, Matcher  # noqa: E402

BASELINE = "02538c0"  # the last commit before issue 15's matcher changes
NK_THRESHOLD = 0.70


def shared_dir() -> Path:
    return Path(os.environ.get("RISKDESK_SHARED_DIR", ROOT.parent / "shared"))


def load_baseline(rev: str):
    """riskdesk.engine.screening as it was at ``rev``, imported as a separate package."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-screening-"))
    pkg = tmp / "baseline_screening"
    pkg.mkdir()
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", f"{rev}:riskdesk/engine/screening"],
                             capture_output=True, text=True, check=True).stdout.split()
    for name in listing:
        if name.endswith(".py"):
            text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:riskdesk/engine/screening/{name}"],
                                  capture_output=True, text=True, check=True).stdout
            (pkg / name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(tmp))
    return importlib.import_module("baseline_screening")


def timed(screen, cases, warm: bool) -> tuple[dict, float]:
    """query -> flags, and the CPU seconds of the screening loop (after a warming pass when asked)."""
    queries = list(dict.fromkeys(c.query for c in cases))
    if warm:
        for q in queries:
            screen(q)
    start = time.process_time()
    flags = {q: screen(q) for q in queries}
    return flags, time.process_time() - start


def figures(screen, sets: dict, warm: bool = True) -> dict:
    """Per set: the evaluation and names per CPU second. Sets that share queries are screened once."""
    everything = [c for cases in sets.values() for c in cases]
    flags, cpu = timed(screen, everything, warm)
    rate = len(flags) / cpu if cpu else float("inf")
    return {label: (evaluate(flags.__getitem__, cases), rate) for label, cases in sets.items()}


def by_group(screen, sets: dict) -> dict:
    """figures() for the development sets together and for the generated set on its own."""
    dev = {k: v for k, v in sets.items() if k.startswith("dev")}
    rest = {k: v for k, v in sets.items() if not k.startswith("dev")}
    return {**figures(screen, dev), **figures(screen, rest)}


def print_table(results: dict[str, dict]) -> None:
    print(f"{'matcher':40} {'set':26} {'recall':>7} {'FP rate':>8} {'names/s (1 core)':>17}")
    for matcher, rows in results.items():
        for label, (r, rate) in rows.items():
            fp = f"{100 * r.false_positive_rate:6.1f}%" if r.negatives else "     -"
            print(f"{matcher:40} {label:26} {100 * r.recall:6.1f}% {fp:>8} {rate:17,.0f}")


def nomenklatura_screens(entries, matcher, cases_by_query, processed, choice_uid):
    """(label, screen function) for logic-v2 and logic-v1, or a note why they are unavailable."""
    try:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm
        from nomenklatura.matching.types import ScoringConfig
    except Exception as exc:  # optional install
        return [], f"nomenklatura not available ({exc.__class__.__name__}: {exc}); pip install -r benchmarks/requirements.txt"
    from riskdesk.engine.screening.normalize import name_tokens

    schema = {"person": "Person", "entity": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
    by_uid = {e.uid: e for e in entries}
    proxies: dict = {}

    def list_entity(uid):
        if uid not in proxies:
            e = by_uid[uid]
            proxy = model.make_entity(schema.get(e.kind, "LegalEntity"))
            proxy.id = uid
            for n in e.names:
                proxy.add("name", n)
            proxies[uid] = proxy
        return proxies[uid]

    def candidates(q):
        uids = {matcher.entries[matcher._names[nid].entry_idx].uid for nid in matcher._candidates(name_tokens(q))}
        for _, _, idx in process.extract(utils.default_process(q), processed, scorer=fuzz.WRatio, processor=None,
                                         limit=10):
            uids.add(choice_uid[idx])
        return sorted(uids)

    cand = {q: candidates(q) for q in cases_by_query}
    for uids in cand.values():
        for u in uids:
            list_entity(u)
    config = ScoringConfig.defaults()
    screens = []
    for name in ("logic-v2", "logic-v1"):
        try:
            alg = get_algorithm(name)
        except Exception as exc:  # an older nomenklatura without this algorithm
            screens.append((f"nomenklatura {name}", None, f"{exc}"))
            continue
        query_cache: dict = {}

        def screen(q, alg=alg, query_cache=query_cache):
            qe = query_cache.get(q)
            if qe is None:
                case = cases_by_query[q]
                qe = model.make_entity("Person" if case.kind == "person" else "Organization")
                # logic-v2 caches its analysis of an entity by id: each query needs its own
                qe.id = f"query-{len(query_cache)}"
                qe.add("name", q)
                query_cache[q] = qe
            return [u for u in cand[q] if alg.compare(qe, list_entity(u), config).score >= NK_THRESHOLD]

        screens.append((f"nomenklatura {name} @{NK_THRESHOLD}", screen, ""))
    pairs = sum(len(v) for v in cand.values())
    return screens, f"nomenklatura scored {pairs:,} query/entry pairs ({pairs / len(cand):.1f} per query); " \
                    "its names/s exclude candidate generation"


def _sets(data: Path, entries, quick: bool) -> tuple[dict, list]:
    dev = load_dev_set(data / "screening-dev-set.jsonl")
    size = 250 if quick else 700
    n_pos = sum(c.positive for c in dev)
    print(f"dev set: {len(dev)} queries, {n_pos} positives ({sum(c.variant == 'other_name' for c in dev)} other_name),"
          f" {len(dev) - n_pos} negatives")
    return {
        "dev: same-name + negatives": same_name(dev),
        "dev: all rows": dev,
        f"generated {size}+{size}": build_evaluation_set(entries, positives=size, negatives=size),
    }, dev


def _baseline(rev: str, data: Path, sets: dict, results: dict):
    """The baseline's screen function (also recorded in ``results``), or None."""
    try:
        base = load_baseline(rev)
        base_matcher = base.Matcher(base.parse_file(data / "ofac-sdn-2024-05-03.csv", "sdn").entries)
    except (subprocess.CalledProcessError, ImportError, AttributeError) as exc:
        print(f"baseline {rev} not loadable: {exc}")
        return None

    def screen(q):
        return [h.entry.uid for h in base_matcher.screen(q)]

    results[f"riskdesk Matcher at {rev} (before)"] = by_group(screen, sets)
    return screen


OTHER_LIST_NAMES = 3000


def other_list_hits(data: Path, screens: dict) -> None:
    """Hits on real names from other lists, unlabelled: the first 3,000 INTERPOL Red Notice names
    of the OpenSanctions file and the CSL rows that are not SDN rows. Some are SDN parties too (a
    wanted terrorist), most are not, so a rise here beside a flat false-positive rate on the labelled
    negatives is worth reading."""
    interpol = [e.name for e in parse_file(data / "opensanctions-simple-2025-05-23.csv", "opensanctions").entries]
    interpol = interpol[:OTHER_LIST_NAMES]
    csl = [e.name for e in parse_file(data / "csl-2019-12.csv", "csl").entries if "(SDN)" not in e.source]
    print(f"\nhits on real names from other lists ({len(interpol):,} INTERPOL names, "
          f"{len(csl)} non-SDN CSL names; unlabelled, some are SDN parties too):")
    for label, screen in screens.items():
        print(f"  {label:40} INTERPOL {sum(bool(screen(n)) for n in interpol):4d}   CSL {sum(bool(screen(n)) for n in csl):3d}")


def _extract_loop(entries):
    """A screen function over every name and alias with rapidfuzz's extractOne, and its inputs."""
    choices, choice_uid = [], []
    for e in entries:
        for n in e.names:
            choices.append(n)
            choice_uid.append(e.uid)
    processed = [utils.default_process(c) for c in choices]

    def loop_screen(q):
        hit = process.extractOne(utils.default_process(q), processed, scorer=fuzz.WRatio, processor=None,
                                 score_cutoff=DEFAULT_THRESHOLD)
        return [choice_uid[hit[2]]] if hit else []

    return loop_screen, processed, choice_uid


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="generated set of 250 + 250 instead of 700 + 700")
    ap.add_argument("--baseline", default=BASELINE, help="git revision to compare with (default %(default)s)")
    ap.add_argument("--no-nomenklatura", action="store_true")
    args = ap.parse_args()

    data = shared_dir() / "data"
    parsed = parse_file(data / "ofac-sdn-2024-05-03.csv", "sdn")
    entries = parsed.entries
    print(f"SDN file: {parsed.record_count:,} entries, {sum(len(e.aliases) for e in entries):,} aliases")
    t = time.process_time()
    matcher = Matcher(entries)
    print(f"index build: {time.process_time() - t:.1f} s CPU ({len(matcher._names):,} names)")
    sets, dev = _sets(data, entries, args.quick)

    results: dict[str, dict] = {}
    dev_sets = {k: v for k, v in sets.items() if k.startswith("dev")}
    results[f"riskdesk Matcher now @{DEFAULT_THRESHOLD:g}"] = by_group(
        lambda q: [h.entry.uid for h in matcher.screen(q)], sets)
    base_screen = _baseline(args.baseline, data, sets, results)
    loop_screen, processed, choice_uid = _extract_loop(entries)
    results[f"rapidfuzz extractOne loop @{DEFAULT_THRESHOLD:g}"] = figures(loop_screen, dev_sets)

    note = ""
    if not args.no_nomenklatura:
        screens, note = nomenklatura_screens(entries, matcher, {c.query: c for c in dev}, processed, choice_uid)
        for label, screen, problem in screens:
            if screen is None:
                print(f"{label}: not available ({problem})")
            else:
                results[label] = figures(screen, dev_sets, warm=False)

    print()
    print_table(results)
    if note:
        print(note)
    now = evaluate(lambda q: [h.entry.uid for h in matcher.screen(q)], same_name(dev))
    print("\nrecall by variant (riskdesk Matcher now, dev set):",
          ", ".join(f"{k} {100 * v:.1f}%" for k, v in now.recall_by_variant.items()))
    print(f"false positives ({len(now.false_positives)}): "
          + "; ".join(f"{c.query!r} -> {uids}" for c, uids in now.false_positives))
    other = {"riskdesk Matcher now": lambda q: [h.entry.uid for h in matcher.screen(q)]}
    if base_screen:
        other[f"riskdesk Matcher at {args.baseline} (before)"] = base_screen
    other_list_hits(data, other)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
