"""A deny-by-default URL fetcher for WeasyPrint 70.

The report HTML comes from our own templates with autoescape on, so user text can never become
markup.  This fetcher is the second wall: whatever URL WeasyPrint asks for, it serves only the app's
own static assets under ``riskdesk/static`` (fonts, images) through the private ``riskdesk:`` scheme
and refuses everything else -- ``http:``, ``https:``, ``ftp:``, ``file:``, relative URLs, unknown
schemes and ``data:`` URLs of any type other than a small PNG/JPEG image.  Every refused URL is
recorded in :attr:`SafeFetcher.refused` so tests (and logs) can see what was attempted.

``riskdesk:/static/fonts/OpenSans-Regular.ttf`` -> ``riskdesk/static/fonts/OpenSans-Regular.ttf``
"""
from __future__ import annotations

import base64
import binascii
import threading
from pathlib import Path
from urllib.parse import unquote

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

SCHEME = "riskdesk"
BASE_URL = "riskdesk:/"
STATIC_ROOT = (Path(__file__).resolve().parents[2] / "static").resolve()

#: sub-folders of ``riskdesk/static`` that may be served, with the file types allowed in each.
ALLOWED_ASSETS: dict[str, dict[str, str]] = {
    "fonts": {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"},
    "img": {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"},
}
DATA_TYPES = {"image/png", "image/jpeg"}
MAX_DATA_BYTES = 256 * 1024


class RefusedURL(ValueError):
    """A URL this fetcher will not serve (WeasyPrint logs it and carries on without the resource)."""


class MissingAsset(FatalURLFetchingError):
    """One of our own allow-listed assets is missing: a broken install must fail loudly."""


def asset_url(relative: str) -> str:
    """The ``riskdesk:`` URL of a static asset, e.g. ``asset_url("fonts/OpenSans-Bold.ttf")``."""
    return f"{SCHEME}:/static/{relative.lstrip('/')}"


class SafeFetcher(URLFetcher):
    """Serve allow-listed package assets; refuse and record everything else."""

    def __init__(self, static_root: Path | None = None) -> None:
        # allowed_protocols=set() and no redirects: even a call that reached the base class
        # would be refused before anything is opened.
        super().__init__(timeout=2, allowed_protocols=set(), allow_redirects=False,
                         fail_on_errors=False)
        self.static_root = Path(static_root or STATIC_ROOT).resolve()
        self.refused: list[str] = []
        self.served: list[str] = []
        self._lock = threading.Lock()

    # -- WeasyPrint entry points: fetch() is called by __call__ and open() in the base class.
    def fetch(self, url, headers=None):  # noqa: D401 - WeasyPrint signature
        url = str(url)
        scheme, sep, rest = url.partition(":")
        scheme = scheme.lower() if sep else ""
        if scheme == SCHEME:
            return self._serve_asset(url, rest)
        if scheme == "data":
            return self._serve_data(url, rest)
        self._refuse(url, f"scheme {scheme or '(relative)'!s} is not allowed")

    def _refuse(self, url: str, reason: str):
        with self._lock:
            self.refused.append(url)
        raise RefusedURL(f"refused to fetch {url[:200]!r}: {reason}")

    def _serve_asset(self, url: str, rest: str) -> URLFetcherResponse:
        path = unquote(rest.split("?", 1)[0].split("#", 1)[0]).lstrip("/")
        parts = path.split("/")
        if (len(parts) != 3 or parts[0] != "static" or parts[1] not in ALLOWED_ASSETS
                or parts[2] in ("", ".", "..") or "\\" in parts[2] or "\x00" in parts[2]):
            self._refuse(url, "not an allow-listed asset path")
        folder, name = parts[1], parts[2]
        suffix = Path(name).suffix.lower()
        mime = ALLOWED_ASSETS[folder].get(suffix)
        if mime is None:
            self._refuse(url, f"file type {suffix or '(none)'} not allowed in {folder}/")
        target = (self.static_root / folder / name).resolve()
        if target.parent != (self.static_root / folder).resolve():
            self._refuse(url, "path escapes the static folder")
        if not target.is_file():
            raise MissingAsset(f"report asset missing: {target}")
        body = target.read_bytes()
        with self._lock:
            self.served.append(url)
        return URLFetcherResponse(url, body, {"Content-Type": mime}, 200)

    def _serve_data(self, url: str, rest: str) -> URLFetcherResponse:
        meta, sep, payload = rest.partition(",")
        fields = [f.strip().lower() for f in meta.split(";")]
        mime = fields[0] if fields else ""
        if not sep or mime not in DATA_TYPES or "base64" not in fields[1:]:
            self._refuse(url, f"data: URL of type {mime or '(none)'} not allowed")
        if len(payload) > MAX_DATA_BYTES * 4 // 3 + 4:
            self._refuse(url, "data: URL too large")
        try:
            body = base64.b64decode(unquote(payload), validate=True)
        except (binascii.Error, ValueError):
            self._refuse(url, "data: URL is not valid base64")
        magic = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}[mime]
        if not body.startswith(magic):
            self._refuse(url, f"data: URL body is not {mime}")
        return URLFetcherResponse(url, body, {"Content-Type": mime}, 200)

    # The base class is an urllib OpenerDirector; make sure nothing reaches its handlers.
    def open(self, url, data=None, timeout=None):
        full_url = getattr(url, "full_url", url)
        return self.fetch(full_url)
