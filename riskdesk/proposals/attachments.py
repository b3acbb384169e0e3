"""Extract the text of an attached draft agreement (PDF, DOCX or plain text), type-checked by content."""
from __future__ import annotations

import io
import zipfile


class AttachmentError(ValueError):
    pass


ALLOWED = {".pdf": "PDF", ".docx": "Word (DOCX)", ".txt": "plain text", ".md": "plain text"}


def extract_text(filename: str, data: bytes, max_bytes: int) -> str:
    """The document's text; raises AttachmentError naming the problem (type, size, unreadable)."""
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if suffix not in ALLOWED:
        raise AttachmentError(f"{filename!r} is not a PDF, DOCX or plain-text file")
    if len(data) > max_bytes:
        raise AttachmentError(f"{filename!r} is larger than {max_bytes // (1024 * 1024)} MB")
    if not data:
        raise AttachmentError(f"{filename!r} is empty")
    if suffix == ".pdf":
        if not data.startswith(b"%PDF-"):
            raise AttachmentError(f"{filename!r} does not look like a PDF file")
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(io.BytesIO(data))
            text = "\n".join(page.extract_text() or "" for page in reader.pages)
        except (PdfReadError, ValueError, KeyError) as exc:
            raise AttachmentError(f"{filename!r} could not be read as PDF: {exc}") from exc
    elif suffix == ".docx":
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise AttachmentError(f"{filename!r} does not look like a DOCX file")
        import docx

        try:
            document = docx.Document(io.BytesIO(data))
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise AttachmentError(f"{filename!r} could not be read as DOCX: {exc}") from exc
        text = "\n".join(p.text for p in document.paragraphs)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AttachmentError(f"{filename!r} is not UTF-8 text") from exc
        if "\x00" in text:
            raise AttachmentError(f"{filename!r} is not plain text")
    text = text.strip()
    if not text:
        raise AttachmentError(f"{filename!r} contains no extractable text (a scanned image?)")
    return text
