"""Fixtures for the council report tests: sample inputs, rendered PDFs, PDF read-back helpers.

WeasyPrint reports accessibility problems (missing ``lang``, an image without ``alt``) and refused
fetches as ERROR log records.  Any such record fails the test that caused it, unless the test is
marked ``allow_weasyprint_errors`` (only the raw-HTML fetcher test, which provokes them on purpose).
"""
from __future__ import annotations

import contextlib
import copy
import io
import logging
import re

import pikepdf
import pytest
from pypdf import PdfReader

from riskdesk.engine.report import render as render_mod
from riskdesk.engine.report.sample import (
    SAMPLE_DOCUMENT,
    SAMPLE_RESULT,
    make_large_result,
    sample_kwargs,
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "allow_weasyprint_errors: the test provokes WeasyPrint error logs on purpose")


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def weasyprint_errors():
    """Collect ERROR (and worse) records from WeasyPrint's loggers while the block runs."""
    handler = _Collector()
    loggers = [logging.getLogger("weasyprint"), logging.getLogger("weasyprint.progress")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield handler.records
    finally:
        for lg in loggers:
            lg.removeHandler(handler)


def _fail_on(records):
    if records:
        msgs = "\n".join(r.getMessage() for r in records)
        pytest.fail(f"WeasyPrint logged errors:\n{msgs}")


@pytest.fixture(autouse=True)
def _no_weasyprint_errors(request):
    with weasyprint_errors() as records:
        yield
    if request.node.get_closest_marker("allow_weasyprint_errors") is None:
        _fail_on(records)


def render_checked(document, result, **kw) -> bytes:
    """Render a report and fail if WeasyPrint logged any error."""
    with weasyprint_errors() as records:
        pdf = render_mod.render_report(document, result, **kw)
    _fail_on(records)
    return pdf


# -- inputs ---------------------------------------------------------------------------------


@pytest.fixture
def document():
    return copy.deepcopy(SAMPLE_DOCUMENT)


@pytest.fixture
def result():
    return copy.deepcopy(SAMPLE_RESULT)


@pytest.fixture
def kwargs():
    return sample_kwargs()


# -- rendered PDFs (rendering is the slow part: do it once per session) --------------------


@pytest.fixture(scope="session")
def draft_pdf() -> bytes:
    return render_checked(copy.deepcopy(SAMPLE_DOCUMENT), copy.deepcopy(SAMPLE_RESULT),
                          **sample_kwargs())


@pytest.fixture(scope="session")
def issued_pdf() -> bytes:
    return render_checked(
        copy.deepcopy(SAMPLE_DOCUMENT), copy.deepcopy(SAMPLE_RESULT),
        **sample_kwargs(status="ISSUED", issued_at="2026-11-26",
                        residual={"rating": "high", "mitigated": [
                            {"finding_id": "DP-SYSTEM-ACCESS",
                             "mitigation": "System access removed from the MoU.",
                             "note": "Article 3 redrafted on 2026-11-25"}]},
                        conditions=["No city or port system is connected to LOGINK."],
                        decision={"outcome": "declined", "date": "2026-12-08",
                                  "by": "City Council"}))


@pytest.fixture(scope="session")
def large_result() -> dict:
    return make_large_result(40)


@pytest.fixture(scope="session")
def large_pdf(large_result) -> bytes:
    return render_checked(copy.deepcopy(SAMPLE_DOCUMENT), copy.deepcopy(large_result),
                          **sample_kwargs())


# -- read-back helpers -----------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    """All text, whitespace collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def squash(text: str) -> str:
    """Text with all whitespace removed (line wrapping can put breaks anywhere between words)."""
    return re.sub(r"\s+", "", text)


def struct_elements(pdf: pikepdf.Pdf):
    """Structure elements in document order as (tag, element) pairs."""
    out = []

    def walk(node):
        code = getattr(node, "_type_code", None)
        if code == pikepdf.ObjectType.array:
            for child in node:
                walk(child)
        elif code == pikepdf.ObjectType.dictionary and "/S" in node:
            out.append((str(node.S), node))
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot.K)
    return out


def descendants(node):
    found = []

    def walk(n):
        code = getattr(n, "_type_code", None)
        if code == pikepdf.ObjectType.array:
            for child in n:
                walk(child)
        elif code == pikepdf.ObjectType.dictionary and "/S" in n:
            found.append(str(n.S))
            if "/K" in n:
                walk(n.K)

    if "/K" in node:
        walk(node.K)
    return found


@pytest.fixture(scope="session")
def kit():
    """The helpers above, for test modules (conftest is not importable as a module)."""
    from types import SimpleNamespace

    return SimpleNamespace(text=pdf_text, squash=squash, struct=struct_elements,
                           descendants=descendants, render_checked=render_checked,
                           weasyprint_errors=weasyprint_errors)
