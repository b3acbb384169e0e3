"""Download the official list files and import them, all or nothing, through the validate-then-swap path.

The only network access RiskDesk makes, and only when someone asks for it: ``python -m riskdesk lists
fetch`` and the ``fetch_lists`` background job (started by an administrator, cron, a systemd timer or
``jobs schedule``) both call ``fetch_lists``. It works in two phases so that nothing is half-applied:

1. every configured list is downloaded whole and parsed by the importer; a broken, truncated or
   stalled download, an invalid file, or one with under half the records of the active snapshot is a
   failure of that list;
2. only when every list passed are the changed ones imported, each followed by the portfolio re-screen
   an import does, all in the caller's one transaction (the caller commits).

If any list failed, ``FetchFailed`` is raised before anything is written: every active snapshot stays.
An unchanged file (same sha256 as the active snapshot) creates no snapshot. The downloads are held in
memory until the import (at most ``MAX_BYTES`` each).
"""
from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from riskdesk.engine.screening.importers import ListFormatError, ParsedList, parse_bytes, sdn_bundle
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
LISTS = ("sdn", "csl", "opensanctions")  # what becomes a snapshot; alt and add go into the SDN one
MAX_BYTES = 300 * 1024 * 1024
MIN_SHARE_OF_PREVIOUS = 0.5  # a new file with under half the records of the active one is refused


class FetchError(Exception):
    """A download failed (HTTP error, timeout, cut short, empty): a later attempt may succeed."""


class InvalidList(Exception):
    """A download that is not a list fit to import: trying again will not change it."""


@dataclass
class Outcome:
    fmt: str
    status: str  # imported | unchanged | failed | held back (valid, but another list failed)
    message: str
    snapshot_id: int | None = None
    new_matches: int = 0
    retryable: bool = False  # a failed download (not an invalid file)


class FetchFailed(Exception):
    """At least one list failed; nothing was imported. ``outcomes`` says what happened to each list."""

    def __init__(self, outcomes: list[Outcome]):
        self.outcomes = outcomes
        failed = [o for o in outcomes if o.status == "failed"]
        self.retryable = any(o.retryable for o in failed)
        super().__init__("; ".join(f"{o.fmt}: {o.message}" for o in failed)
                         + ". No list was imported: every active snapshot stays.")


@dataclass
class _Checked:
    fmt: str
    data: bytes
    filename: str
    parsed: ParsedList


def configured_urls(overrides: dict | None = None, only: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """Defaults, then environment variables, then explicit overrides (empty keeps the previous);
    with ``only``, the other lists' addresses are blanked (the SDN companions go with ``sdn``)."""
    urls = {key: os.environ.get(URL_VARIABLES[key], default) for key, default in DEFAULT_URLS.items()}
    urls.update({k: v for k, v in (overrides or {}).items() if v})
    if only:
        urls = {k: (v if k in only or (k in ("alt", "add") and "sdn" in only) else "") for k, v in urls.items()}
    return urls


def download(url: str, timeout: float) -> bytes:
    """The body of a 200 response, at most MAX_BYTES; FetchError (InvalidList when too large) otherwise."""
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
        raise InvalidList(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MB")
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


def _check_size(session: Session, fmt: str, parsed: ParsedList) -> None:
    """Refuse a file that parses but lost most of its records (a truncated or placeholder file)."""
    previous = services.active_snapshot(session, fmt)
    if previous is not None and parsed.record_count < MIN_SHARE_OF_PREVIOUS * previous.record_count:
        raise InvalidList(f"{parsed.record_count} records, under half of the active snapshot's "
                          f"{previous.record_count}")


def _check(session: Session, fmt: str, urls: dict[str, str], timeout: float) -> tuple[_Checked | None, Outcome]:
    """Phase 1 for one list: download and validate; nothing is written."""
    filename = urls[fmt].rsplit("/", 1)[-1]
    try:
        data = _list_bytes(fmt, urls, timeout)
        parsed = parse_bytes(data, fmt, filename=filename)
        _check_size(session, fmt, parsed)
    except FetchError as exc:
        return None, Outcome(fmt, "failed", str(exc), retryable=True)
    except (ListFormatError, InvalidList) as exc:
        return None, Outcome(fmt, "failed", f"{filename}: {exc}; not imported")
    described = f"{parsed.source}: {parsed.record_count} records, sha256 {parsed.sha256[:12]}"
    previous = services.active_snapshot(session, fmt)
    if previous is not None and previous.sha256 == parsed.sha256:
        return None, Outcome(fmt, "unchanged", described, previous.id)
    return _Checked(fmt, data, filename, parsed), Outcome(fmt, "held back", f"{described}; valid, not imported "
                                                                            "because another list failed")


def fetch_lists(session: Session, urls: dict[str, str], *, timeout: float = 60.0, actor: User | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Download and validate every configured list, then import the changed ones (the caller commits).

    Raises FetchFailed, having written nothing, when any list failed. ``progress(done, total)`` counts
    one step per list downloaded and one per list imported.
    """
    progress = progress or (lambda done, total: None)
    formats = [fmt for fmt in LISTS if urls.get(fmt)]
    total = 2 * len(formats)
    checked: list[tuple[int, _Checked]] = []
    outcomes: list[Outcome] = []
    for fmt in formats:
        item, outcome = _check(session, fmt, urls, timeout)
        if item is not None:
            checked.append((len(outcomes), item))
        outcomes.append(outcome)
        progress(len(outcomes), total)
    if any(o.status == "failed" for o in outcomes):
        raise FetchFailed(outcomes)
    for step, (index, item) in enumerate(checked, 1):
        snapshot, changed, new_matches = services.import_and_monitor(
            session, item.data, item.fmt, filename=item.filename, actor=actor, parsed=item.parsed)
        outcomes[index] = Outcome(item.fmt, "imported" if changed else "unchanged",
                                  f"{snapshot.source}: {snapshot.record_count} records, sha256 {snapshot.sha256[:12]}",
                                  snapshot.id, new_matches)
        progress(len(formats) + step, total)
    progress(total, total)
    return outcomes
