"""Issued reports on disk: written once, atomically, and served only if their sha256 still matches.

``store_issued`` writes to a temporary file in the reports directory, flushes and fsyncs it, then
``os.replace``s it onto its final name (never overwriting an existing report): a crash or error at
any point leaves either the complete file or nothing.  The caller keeps the returned relative
filename and sha256 in the database; ``read_issued`` re-hashes on every read.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path

_SLUG_RE = re.compile(r"[^a-z0-9]+")


class IntegrityError(Exception):
    """The stored bytes no longer match the recorded hash (or the file is missing)."""


def _slug(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = _SLUG_RE.sub("-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "report"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


# What each kind of issued file must start with: a PDF, or a DOCX (a ZIP package).
MAGIC = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04"}


def store_issued(pdf: bytes, reports_dir: Path, name_hint: str, *, suffix: str = ".pdf") -> tuple[str, str]:
    """Store ``pdf`` (or, with ``suffix=".docx"``, a Word file) under ``reports_dir``; return
    ``(relative filename, sha256 hex)``.

    The filename is ``<slug of name_hint>-<first 16 hex of sha256>-<random><suffix>``: unique, safe on
    every filesystem, and never derived from a path the user controls.
    """
    if suffix not in MAGIC or not isinstance(pdf, (bytes, bytearray)) or not bytes(pdf).startswith(MAGIC[suffix]):
        raise ValueError(f"store_issued expects the bytes of a {suffix[1:].upper()} file")
    data = bytes(pdf)
    digest = hashlib.sha256(data).hexdigest()
    directory = Path(reports_dir)
    directory.mkdir(parents=True, exist_ok=True)
    filename = f"{_slug(name_hint)}-{digest[:16]}-{secrets.token_hex(4)}{suffix}"
    final = directory / filename
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=f"{suffix}.part", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)  # issued reports are immutable
        if final.exists():  # pragma: no cover - random suffix makes this practically impossible
            raise FileExistsError(final)
        os.replace(tmp, final)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)
    return filename, digest


def _resolve(reports_dir: Path, filename: str) -> Path:
    directory = Path(reports_dir).resolve()
    name = str(filename)
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise IntegrityError(f"not a stored report name: {filename!r}")
    path = (directory / name).resolve()
    if path.parent != directory:
        raise IntegrityError(f"not a stored report name: {filename!r}")
    return path


def read_issued(reports_dir, filename: str, sha256: str) -> bytes:
    """Return the stored bytes; raise :class:`IntegrityError` if they do not hash to ``sha256``."""
    path = _resolve(Path(reports_dir), filename)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise IntegrityError(f"issued report missing: {filename}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if not secrets.compare_digest(actual, str(sha256).lower()):
        raise IntegrityError(f"issued report {filename} does not match its recorded sha256")
    return data
