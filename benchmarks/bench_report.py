"""Benchmark the council report renderer (issue 5).

    .venv/bin/python benchmarks/bench_report.py [--runs N]

For the standard demo report and a 40-finding report it prints:
  * ours: render_report() end to end (context building, Jinja templating, SafeFetcher, WeasyPrint);
  * bare: WeasyPrint alone on the same final HTML with the same options
          (HTML(string=...).write_pdf with the same stylesheet object, font config and pdf_variant);
  * the ratio ours / bare (our overhead; the aim is <= 1.2).
And the time to serve an issued report (read_issued, including the sha256 check).
Medians of warm runs; no assertions on time.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weasyprint import HTML  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

from riskdesk.council.storage import read_issued, store_issued  # noqa: E402
from riskdesk.engine.report import render as R  # noqa: E402
from riskdesk.engine.report.fetcher import STATIC_ROOT  # noqa: E402
from riskdesk.engine.report.sample import (  # noqa: E402
    SAMPLE_DOCUMENT,
    SAMPLE_RESULT,
    make_large_result,
    sample_kwargs,
)


class PlainAssetFetcher(URLFetcher):
    """The minimum any fetcher needs to resolve our assets: no allow-list, no bookkeeping."""

    def fetch(self, url, headers=None):
        if url.startswith("riskdesk:/static/"):
            path = STATIC_ROOT / url[len("riskdesk:/static/"):]
            return URLFetcherResponse(url, path.read_bytes(), {}, 200)
        return super().fetch(url, headers)


def timed(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def bench_case(label, document, result, runs):
    kw = sample_kwargs()
    html = R.render_html(R.build_context(document, result, **kw))
    font_config, css = R._resources()

    def ours():
        return R.render_report(copy.deepcopy(document), copy.deepcopy(result), **kw)

    plain = PlainAssetFetcher()

    def bare():
        # WeasyPrint alone: same HTML, same options, same output (a check-free fetcher that can
        # read the same riskdesk: assets, so both sides draw the DRAFT watermark).
        return HTML(string=html, base_url=R.BASE_URL, url_fetcher=plain).write_pdf(
            stylesheets=[css], font_config=font_config, **R.PDF_OPTIONS)

    def context_only():
        return R.render_html(R.build_context(copy.deepcopy(document), copy.deepcopy(result), **kw))

    pdf = ours()
    bare()  # warm both paths
    # interleave the runs so drift (CPU frequency, caches) hits both sides alike
    t_ours, t_bare = [], []
    for _ in range(runs):
        t_ours.append(timed(ours, 1)[0])
        t_bare.append(timed(bare, 1)[0])
    m_ours, m_bare = statistics.median(t_ours), statistics.median(t_bare)
    m_ctx, _ = timed(context_only, max(runs, 10))
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"{label:<22} pages={pages:<3} ours={m_ours * 1000:7.1f} ms  "
          f"weasyprint-alone={m_bare * 1000:7.1f} ms  ratio={m_ours / m_bare:5.2f}  "
          f"(context+template {m_ctx * 1000:.1f} ms)  size={len(pdf) / 1024:.0f} KiB")
    return pdf


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    R.render_report(copy.deepcopy(SAMPLE_DOCUMENT), copy.deepcopy(SAMPLE_RESULT), **sample_kwargs())
    print(f"first render in process (imports, fonts, stylesheet): "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    print(f"median of {args.runs} warm runs each")
    pdf = bench_case("standard demo report", copy.deepcopy(SAMPLE_DOCUMENT),
                     copy.deepcopy(SAMPLE_RESULT), args.runs)
    bench_case("40-finding report", copy.deepcopy(SAMPLE_DOCUMENT), make_large_result(40),
               args.runs)

    # The web app renders in a warm worker process (riskdesk.council.worker) with a time limit.
    from riskdesk.council.worker import render_pdf_isolated

    html = R.render_html(R.build_context(copy.deepcopy(SAMPLE_DOCUMENT), copy.deepcopy(SAMPLE_RESULT),
                                         **sample_kwargs()))
    render_pdf_isolated(html)  # start and warm the worker
    m_worker, _ = timed(lambda: render_pdf_isolated(html), args.runs)
    m_inproc, _ = timed(lambda: R.render_pdf(html), args.runs)
    print(f"standard report via the worker process = {m_worker * 1000:.1f} ms, in process = "
          f"{m_inproc * 1000:.1f} ms, ratio {m_worker / m_inproc:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        name, digest = store_issued(pdf, Path(tmp), "bench")
        m, _ = timed(lambda: read_issued(Path(tmp), name, digest), 200)
        print(f"serve issued report     read_issued incl. sha256 = {m * 1000:.3f} ms "
              f"({len(pdf) / 1024:.0f} KiB, median of 200)")


if __name__ == "__main__":
    main()
