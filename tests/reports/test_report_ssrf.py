"""Safe rendering: user text is escaped, and the fetcher refuses everything but our own assets."""
from __future__ import annotations

import base64
import copy
import io
import socket
import threading

import pikepdf
import pytest
from weasyprint.urls import FatalURLFetchingError

from riskdesk.engine.report.fetcher import (
    MissingAsset,
    RefusedURL,
    SafeFetcher,
    asset_url,
)
from riskdesk.engine.report.render import build_context, render_html, render_pdf
from riskdesk.engine.report.sample import sample_kwargs

# Enum-like fields are kept: they drive the report's logic, and the engine validates them.
KEEP = {"rating", "effect", "severity", "category", "verdict", "status", "verified", "confidence"}


class Listener:
    """A TCP listener on 127.0.0.1 that counts every connection made to it."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    srv = Listener()
    yield srv
    srv.close()


def payload(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    return (f'<img src="{base}/img.png" alt="x">'
            f'<link rel="stylesheet" href="{base}/style.css">'
            f'<link rel="attachment" href="file:///etc/passwd">'
            f'<link rel="attachment" href="{base}/attach">'
            f'<style>@import url("{base}/import.css"); @import "file:///etc/passwd";</style>'
            f'<p style="background:url({base}/bg.png)">bg</p>'
            f'<div style="background-image:url(file:///etc/passwd)">f</div>'
            f'<img src="file:///etc/passwd" alt="p">'
            f'<svg><image href="{base}/svg.png"/></svg>')


def poison(value, text, key=None):
    """Append the payload to every free-text string in a nested structure."""
    if isinstance(value, dict):
        return {k: poison(v, text, k) for k, v in value.items()}
    if isinstance(value, list):
        return [poison(v, text, key) for v in value]
    if isinstance(value, str) and key not in KEEP:
        return value + " " + text
    return value


def poisoned_inputs(document, result, port):
    p = payload(port)
    kw = sample_kwargs(
        residual={"rating": "high", "mitigated": [{"finding_id": "GOV-CONFIDENTIALITY",
                                                    "mitigation": "Clause struck", "note": "n"}]},
        conditions=["Condition one"], decision={"outcome": "deferred", "date": "2026-12-01",
                                                 "by": "Council", "note": "note"},
        issued_at="2026-11-26")
    kw = {k: (poison(v, p, k) if k not in ("status", "generated_at", "scoring") else v)
          for k, v in kw.items()}
    return poison(copy.deepcopy(document), p), poison(copy.deepcopy(result), p), kw


def test_payloads_in_every_text_field_are_inert(document, result, listener, kit):
    doc, res, kw = poisoned_inputs(document, result, listener.port)
    html = render_html(build_context(doc, res, **kw))
    # escaped: no payload element survives as markup
    assert "<img" not in html and "<link" not in html and "<style" not in html
    assert "&lt;link rel=&#34;attachment&#34;" in html
    fetcher = SafeFetcher()
    pdf = render_pdf(html, fetcher=fetcher)

    assert listener.connections == 0
    assert fetcher.refused == []
    assert fetcher.served and all(u.startswith("riskdesk:/static/") for u in fetcher.served)
    with pikepdf.open(io.BytesIO(pdf)) as doc_pdf:
        names = doc_pdf.Root.get("/Names")
        assert names is None or "/EmbeddedFiles" not in names
        assert "/AF" not in doc_pdf.Root
    assert b"/EmbeddedFile" not in pdf and b"/JavaScript" not in pdf
    text = kit.text(pdf)
    assert "root:x:0:0" not in text and b"root:x:0:0" not in pdf
    # the payload is shown as literal text
    flat = kit.squash(text)
    assert kit.squash(payload(listener.port)) in flat
    assert flat.count(kit.squash(payload(listener.port))) >= 20


@pytest.mark.allow_weasyprint_errors
def test_fetcher_blocks_raw_html_payloads(listener):
    """Defence in depth: even unescaped markup cannot fetch or attach anything."""
    html = ('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
            f'<h1>Raw</h1>{payload(listener.port)}'
            f'<iframe src="http://127.0.0.1:{listener.port}/frame"></iframe>'
            f'<object data="file:///etc/passwd"></object>'
            '<img src="relative.png" alt="r"><img src="riskdesk:/static/../../etc/passwd" alt="t">'
            '<img src="data:text/html;base64,PGgxPng8L2gxPg==" alt="d">'
            '</main></body></html>')
    fetcher = SafeFetcher()
    pdf = render_pdf(html, fetcher=fetcher)
    assert listener.connections == 0
    refused = " ".join(fetcher.refused)
    assert f"127.0.0.1:{listener.port}/img.png" in refused
    assert f"127.0.0.1:{listener.port}/style.css" in refused
    assert "file:///etc/passwd" in refused
    assert "data:text/html" in refused
    assert b"/EmbeddedFile" not in pdf
    assert b"root:x:0:0" not in pdf
    with pikepdf.open(io.BytesIO(pdf)) as doc_pdf:
        names = doc_pdf.Root.get("/Names")
        assert names is None or "/EmbeddedFiles" not in names


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "https://example.org/x.png", "ftp://example.org/x", "file:///etc/passwd",
    "FILE:///etc/passwd", "gopher://x", "relative/font.ttf", "/static/fonts/OpenSans-Regular.ttf",
    "data:text/html,<h1>x</h1>", "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
    "data:image/png;base64,bm90IGEgcG5n",  # valid base64, but not a PNG
    "riskdesk:/static/../../../etc/passwd", "riskdesk:/static/fonts/../../reports/render.py",
    "riskdesk:/static/fonts/%2e%2e/%2e%2e/reports/render.py", "riskdesk:/etc/passwd",
    "riskdesk:/static/fonts/x.exe", "riskdesk:/static/other/a.png",
])
def test_fetcher_refuses(url):
    fetcher = SafeFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.served == []


def test_fetcher_serves_own_assets_and_small_images():
    fetcher = SafeFetcher()
    response = fetcher.fetch(asset_url("fonts/OpenSans-Regular.ttf"))
    assert response.read()[:4] == b"\x00\x01\x00\x00"
    assert response.content_type == "font/ttf"
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
    assert fetcher.fetch(f"data:image/png;base64,{png}").read().startswith(b"\x89PNG")
    assert fetcher.refused == []


def test_fetcher_missing_own_asset_is_fatal():
    with pytest.raises(MissingAsset):
        SafeFetcher().fetch(asset_url("fonts/DoesNotExist.ttf"))
    assert issubclass(MissingAsset, FatalURLFetchingError)


def test_fetcher_open_goes_through_fetch():
    """urllib-style open() (used for redirects) must not bypass the allow-list."""
    from urllib.request import Request

    fetcher = SafeFetcher()
    with pytest.raises(RefusedURL):
        fetcher.open(Request("http://127.0.0.1:9/x"))
    with pytest.raises(RefusedURL):
        fetcher.open("file:///etc/passwd")


def test_citation_links_only_for_web_urls(document, result, kwargs):
    result["findings"][0]["citations"][0]["url"] = "javascript:alert(1)"
    html = render_html(build_context(document, result, **kwargs))
    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html  # still shown as text


@pytest.mark.allow_weasyprint_errors
def test_missing_lang_is_reported_as_error(kit):
    """The error-log guard works: WeasyPrint flags a document without lang under PDF/UA."""
    with kit.weasyprint_errors() as records:
        render_pdf("<!DOCTYPE html><html><head><title>t</title></head><body><p>x</p></body></html>")
    assert records, "expected WeasyPrint to log an error for a missing lang"
