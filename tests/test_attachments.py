"""Draft-agreement attachments: text is extracted from PDF, DOCX and plain text; other files are refused."""
import io

import docx
import pytest

from riskdesk.proposals.attachments import AttachmentError, extract_text

LIMIT = 1024 * 1024


def make_docx(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pdf(text: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<html lang='en'><title>t</title><p>{text}</p></html>").write_pdf()


def test_pdf_text_is_extracted():
    assert "exclusive rights" in extract_text("draft.pdf", make_pdf("The partner has exclusive rights."), LIMIT)


def test_docx_text_is_extracted():
    assert extract_text("draft.DOCX", make_docx("Either party may withdraw on 90 days' notice."), LIMIT) == \
        "Either party may withdraw on 90 days' notice."


def test_plain_text_is_extracted():
    assert extract_text("draft.txt", "Article 1. Friendship.\n".encode(), LIMIT) == "Article 1. Friendship."


@pytest.mark.parametrize("name,data,reason", [
    ("draft.exe", b"MZ\x90\x00", "is not a PDF, DOCX or plain-text file"),
    ("draft.pdf", b"not really a pdf", "does not look like a PDF"),
    ("draft.docx", b"PK-but-not-a-zip", "does not look like a DOCX"),
    ("draft.txt", b"\xff\xfe\x00binary", "is not UTF-8 text"),
    ("draft.txt", b"", "is empty"),
    ("draft.txt", b"x" * (LIMIT + 1), "larger than"),
    ("draft.txt", b"   \n  ", "no extractable text"),
])
def test_bad_attachments_are_refused_with_a_reason(name, data, reason):
    with pytest.raises(AttachmentError) as info:
        extract_text(name, data, LIMIT)
    assert reason in str(info.value) and name in str(info.value)
