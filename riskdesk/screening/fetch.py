"""Download the official list files and import them through the same validate-then-swap path.

The only network access RiskDesk makes, and only when an administrator (or cron) runs
``python -m riskdesk lists fetch``. Each list is downloaded whole, parsed (a broken or truncated
file is refused and the active snapshot stays), and imported; an unchanged file (same sha256)
changes nothing.
"""
from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass

from sqlalchemy.orm import Session

from riskdesk.engine.screening.importers import ListFormatError, sdn_bundle
from riskdesk.models import User
from riskdesk.screening import services

# Official download addresses as published by OFAC and the ITA (checked 2026-12; a city may override
# each one with the environment variable named beside it or with --url-* options).
DEFAULT_URLS = {
    "sdn": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV",
    "alt": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ALT.CSV",
    "add": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADD.CSV",
    "csl": "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
    "opensanctions": "",  # non-commercial licence: only when the city sets a URL
}
URL_VARIABLES = {key: f"RISKDESK_{key.upper()}_URL" for key in DEFAULT_URLS}
MAX_BYTES = 300 * 1024 * 1024
MIN_SHARE_OF_PREVIOUS = 0.5  # a new file with under half the records of the active one is refused


class FetchError(Exception):
    """A download failed or gave a file that is not a valid list."""


@dataclass
class Outcome:
    fmt: str
    status: str  # imported | unchanged | failed
    message: str
    snapshot_id: int | None = None
    new_matches: int = 0


def configured_urls(overrides: dict | None = None) -> dict[str, str]:
    """Defaults, then environment variables, then explicit overrides (empty keeps the previous)."""
    urls = {key: os.environ.get(URL_VARIABLES[key], default) for key, default in DEFAULT_URLS.items()}
    urls.update({k: v for k, v in (overrides or {}).items() if v})
    return urls


def download(url: str, timeout: float) -> bytes:
    """The body of a 200 response, at most MAX_BYTES; FetchError otherwise."""
    request = urllib.request.Request(url, headers={"User-Agent": "RiskDesk list fetch"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured https URLs)
            data = response.read(MAX_BYTES + 1)
            expected = response.headers.get("Content-Length")
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url}: download failed ({reason})") from None
    if len(data) > MAX_BYTES:
        raise FetchError(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MB")
    if expected and expected.isdigit() and int(expected) != len(data):
        raise FetchError(f"{url}: incomplete download ({len(data)} of {expected} bytes)")
    if not data.strip():
        raise FetchError(f"{url}: empty file")
    return data


def _list_bytes(fmt: str, urls: dict[str, str], timeout: float) -> bytes:
    if fmt == "sdn":
        return sdn_bundle(download(urls["sdn"], timeout),
                          download(urls["alt"], timeout) if urls.get("alt") else None,
                          download(urls["add"], timeout) if urls.get("add") else None)
    return download(urls[fmt], timeout)


def _check_size(session: Session, fmt: str, data: bytes) -> None:
    """Refuse a file that parses but lost most of its records (a truncated or placeholder file)."""
    parsed = services.parse_for_import(data, fmt)
    previous = services.active_snapshot(session, fmt)
    if previous is not None and parsed.record_count < MIN_SHARE_OF_PREVIOUS * previous.record_count:
        raise FetchError(f"{fmt}: {parsed.record_count} records, under half of the active snapshot's "
                         f"{previous.record_count}; not imported")


def fetch_lists(session: Session, urls: dict[str, str], *, timeout: float = 60.0,
                actor: User | None = None) -> list[Outcome]:
    """Download, verify and import each configured list; one commit per list, failures kept apart."""
    outcomes = []
    for fmt in ("sdn", "csl", "opensanctions"):
        if not urls.get(fmt):
            continue
        try:
            data = _list_bytes(fmt, urls, timeout)
            _check_size(session, fmt, data)
            snapshot, changed, new_matches = services.import_and_monitor(
                session, data, fmt, filename=urls[fmt].rsplit("/", 1)[-1], actor=actor)
        except (FetchError, ListFormatError) as exc:
            session.rollback()
            outcomes.append(Outcome(fmt, "failed", str(exc)))
            continue
        session.commit()
        status = "imported" if changed else "unchanged"
        outcomes.append(Outcome(fmt, status, f"{snapshot.source}: {snapshot.record_count} records, "
                                             f"sha256 {snapshot.sha256[:12]}", snapshot.id, new_matches))
    return outcomes
