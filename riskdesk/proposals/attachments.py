"""Extract the text of an attached draft agreement (PDF, DOCX or plain text), type-checked by content.

Attachments come from outside, so extraction is bounded before and while parsing: a DOCX is a zip
whose declared sizes are checked (total decompressed bytes, number of parts, compression ratio,
number of paragraphs) before any XML is read, a PDF's pages are counted, and both stop after
``MAX_SECONDS``. Whatever a parser raises becomes an AttachmentError naming the file (a 400),
and an encrypted PDF is refused with what to do instead.
"""
from __future__ import annotations

import io
import re
import time
import zipfile


class AttachmentError(ValueError):
    pass


ALLOWED = {".pdf": "PDF", ".docx": "Word (DOCX)", ".txt": "plain text", ".md": "plain text"}
MAX_DECOMPRESSED_BYTES = 30 * 1024 * 1024  # every part of a DOCX together, as the zip declares them
MAX_PARTS = 500
MAX_RATIO = 200  # decompressed / compressed for one part: far beyond real documents, typical of zip bombs
MAX_PARAGRAPHS = 50_000
MAX_PAGES = 1_000
MAX_TEXT_CHARS = 2_000_000
MAX_SECONDS = 10.0
_PARAGRAPH = re.compile(rb"<w:p[\s/>]")
# An /Encrypt entry in the trailer: pypdf may fail on unknown schemes (/V 9) before it can say so.
_ENCRYPT = re.compile(rb"/Encrypt\s*(?:\d+\s+\d+\s+R|<<)")


class _Deadline:
    def __init__(self, filename: str):
        self.filename, self.until = filename, time.monotonic() + MAX_SECONDS

    def check(self) -> None:
        if time.monotonic() > self.until:
            raise AttachmentError(f"{self.filename!r} took longer than {MAX_SECONDS:g} s to read; "
                                  "attach a shorter or simpler file")


def _refuse(filename: str, what: str) -> AttachmentError:
    return AttachmentError(f"{filename!r} is too large to read: {what}")


def _pdf_text(filename: str, data: bytes) -> str:
    if not data.startswith(b"%PDF-"):
        raise AttachmentError(f"{filename!r} does not look like a PDF file")
    from pypdf import PdfReader

    encrypted = AttachmentError(f"{filename!r} is password-protected (encrypted), so its text cannot be read; "
                                "attach a copy saved without a password")
    if _ENCRYPT.search(data):
        raise encrypted
    deadline = _Deadline(filename)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise encrypted
        if len(reader.pages) > MAX_PAGES:
            raise _refuse(filename, f"more than {MAX_PAGES} pages")
        parts, size = [], 0
        for page in reader.pages:
            deadline.check()
            parts.append(page.extract_text() or "")
            size += len(parts[-1])
            if size > MAX_TEXT_CHARS:
                raise _refuse(filename, f"more than {MAX_TEXT_CHARS:,} characters of text")
    except AttachmentError:
        raise
    except Exception as exc:  # any parser failure on a hostile or damaged file is the file's problem
        raise AttachmentError(f"{filename!r} could not be read as PDF: {type(exc).__name__}: {exc}"[:300]) from exc
    return "\n".join(parts)


def _check_docx_container(filename: str, data: bytes) -> None:
    """Refuse a DOCX whose zip declares too much before anything is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_PARTS:
                raise _refuse(filename, f"more than {MAX_PARTS} parts inside")
            if sum(m.file_size for m in members) > MAX_DECOMPRESSED_BYTES:
                raise _refuse(filename, f"more than {MAX_DECOMPRESSED_BYTES // (1024 * 1024)} MB once decompressed")
            for member in members:
                if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                    raise _refuse(filename, f"part {member.filename} decompresses more than {MAX_RATIO} times")
            try:
                body = archive.read("word/document.xml")
            except KeyError:
                raise AttachmentError(f"{filename!r} could not be read as DOCX: it has no word/document.xml") from None
    except zipfile.BadZipFile as exc:
        raise AttachmentError(f"{filename!r} could not be read as DOCX: {exc}") from exc
    if sum(1 for _ in _PARAGRAPH.finditer(body)) > MAX_PARAGRAPHS:
        raise _refuse(filename, f"more than {MAX_PARAGRAPHS:,} paragraphs")


def _docx_text(filename: str, data: bytes) -> str:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise AttachmentError(f"{filename!r} does not look like a DOCX file")
    _check_docx_container(filename, data)
    import docx

    deadline = _Deadline(filename)
    try:
        document = docx.Document(io.BytesIO(data))
        parts, size = [], 0
        for paragraph in document.paragraphs:
            parts.append(paragraph.text)
            size += len(parts[-1])
            if size > MAX_TEXT_CHARS:
                raise _refuse(filename, f"more than {MAX_TEXT_CHARS:,} characters of text")
            if len(parts) % 1000 == 0:
                deadline.check()
    except AttachmentError:
        raise
    except Exception as exc:  # malformed XML, entity declarations, missing parts: the file's problem
        raise AttachmentError(f"{filename!r} could not be read as DOCX: {type(exc).__name__}: {exc}"[:300]) from exc
    return "\n".join(parts)


def _plain_text(filename: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AttachmentError(f"{filename!r} is not UTF-8 text") from exc
    if "\x00" in text:
        raise AttachmentError(f"{filename!r} is not plain text")
    return text


def extract_text(filename: str, data: bytes, max_bytes: int) -> str:
    """The document's text; raises AttachmentError naming the problem (type, size, unreadable)."""
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if suffix not in ALLOWED:
        raise AttachmentError(f"{filename!r} is not a PDF, DOCX or plain-text file")
    if len(data) > max_bytes:
        raise AttachmentError(f"{filename!r} is larger than {max_bytes // (1024 * 1024)} MB")
    if not data:
        raise AttachmentError(f"{filename!r} is empty")
    reader = {".pdf": _pdf_text, ".docx": _docx_text}.get(suffix, _plain_text)
    # no NUL (PostgreSQL text cannot hold it) and no lone surrogates (no UTF-8 exists for them)
    text = reader(filename, data).replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()
    if not text:
        raise AttachmentError(f"{filename!r} contains no extractable text (a scanned image?)")
    return text
