"""Pages and PDF/UA findings of the council report for the five demo proposals (issue 19).

    .venv/bin/python benchmarks/report_pages.py [--on 2026-11-26]

Scores each ``demo/*.yaml`` with the checklists in ``checklists/``, renders the draft report as the
``report`` command does, and prints one row per proposal: rating, findings, open questions, PDF
pages, DOCX paragraphs and the ``pdfua`` checker's findings by rule. Figures only; nothing is
asserted (``tests/reports/test_report_length.py`` asserts the clean tie's page limit).
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pdfua  # noqa: E402
from docx import Document  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from riskdesk.engine.checklists.loader import load_release  # noqa: E402
from riskdesk.engine.document import load_document  # noqa: E402
from riskdesk.engine.report import render  # noqa: E402
from riskdesk.engine.report.docx_writer import render_docx  # noqa: E402
from riskdesk.engine.scoring import score, scoring_summary  # noqa: E402


def pdfua_summary(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        report = pdfua.validate(fh.name)
    counts = collections.Counter(f"{f.rule_id} {f.severity.name.lower()}" for f in report.findings)
    return ", ".join(f"{rule} x{n}" for rule, n in sorted(counts.items())) or "none"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--on", default="2026-11-26")
    on = dt.date.fromisoformat(parser.parse_args().on)
    release = load_release(ROOT / "checklists")
    print(f"{'demo':38} {'rating':9} {'find':>4} {'open':>4} {'pages':>5} {'docx¶':>5}  pdfua")
    for path in sorted((ROOT / "demo").glob("*.yaml")):
        document = load_document(path.read_text(encoding="utf-8"), path.name)
        result = score(document, release, on=on).to_dict()
        kw = {"status": "DRAFT", "release": {"hash": release.hash, "created_at": "", "note": ""},
              "scoring": scoring_summary(release.scoring)}
        pdf = render.render_report(document, result, **kw)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        paragraphs = len(Document(io.BytesIO(render_docx(document, result, **kw))).paragraphs)
        print(f"{path.stem:38} {result['rating']:9} {len(result['findings']):>4} "
              f"{len(result['open_questions']):>4} {pages:>5} {paragraphs:>5}  {pdfua_summary(pdf)}")


if __name__ == "__main__":
    main()
