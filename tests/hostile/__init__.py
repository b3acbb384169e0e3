"""A corpus of hostile inputs (issue 13): documents, list files, checklist files, attachments, text.

Each payload is built on demand (some are megabytes) and carries the words its refusal must contain,
so every entry point can be driven with the same corpus and checked the same way:
``tests/test_hardening_inputs.py`` runs it through the intake form, intake import, the ``validate``
command, checklist upload, list import and attachments. Hook for the API (not built yet):
post each ``DOCUMENTS`` body to the API's create endpoint and expect a 400 problem+json whose
detail contains ``expect``.
"""
from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

DEMO = Path(__file__).resolve().parents[2] / "demo" / "01_french_sister_city.yaml"


def base_document() -> dict:
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Payload:
    name: str  # the file name it is sent as (its suffix picks the parser)
    build: Callable[[], str]
    expect: str  # words the refusal must contain (the field or the problem)


def _with(path: tuple, value) -> Callable[[], str]:
    def build() -> str:
        document = base_document()
        node = document
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
        return json.dumps(document, allow_nan=True)
    return build


def _deep_yaml(depth: int, flow: bool) -> str:
    if flow:
        return "title: " + "[" * depth + "]" * depth + "\n"
    return "title:\n" + "".join("  " * (i + 1) + "- \n" for i in range(depth))


# Intake documents: JSON or YAML text with the words the 400 (or exit 2) must contain.
DOCUMENTS = [
    Payload("deep.json", lambda: '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested more than"),
    Payload("deep.yaml", lambda: _deep_yaml(20_000, flow=True), "nested more than"),  # 40 KB, 32 s of CPU before
    Payload("deep-block.yaml", lambda: _deep_yaml(400, flow=False), "nested more than"),
    Payload("lone-surrogate.json", _with(("title",), "\ud800"), "title"),
    Payload("lone-surrogate.yaml", lambda: 'title: "Kyoto \\ud800 partnership"\n', "title"),
    Payload("nan-money.json", _with(("funding", "city_cost_usd"), float("nan")), "city_cost_usd"),
    Payload("infinity-money.json", _with(("funding", "partner_funding_usd"), float("inf")), "partner_funding_usd"),
    Payload("nan-money.yaml", lambda: yaml.safe_dump({**base_document(), "funding": {"city_cost_usd": float("nan")}}),
            "city_cost_usd"),
    Payload("nul-title.json", _with(("title",), "Sister city\x00 of Lyon"), "title"),
    Payload("nul-partner.json", _with(("partner", "name"), "Ville\x00de Lyon"), "partner.name"),
    Payload("huge.yaml", lambda: "title: x\nnotes: |\n" + ("  " + "x" * 998 + "\n") * 12_000, "larger than"),
    Payload("alias-bomb.yaml", lambda: "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\ntitle: t\n", "aliases"),
]

# Text for single fields of the intake form: (field, value, words the 400 page must contain).
FORM_VALUES = [
    ("document-title", "Sister city\x00 of Lyon", "NUL"),
    ("document-funding-city_cost_usd", "NaN", "not a number"),
    ("document-funding-partner_funding_usd", "Infinity", "not a number"),
    ("document-funding-city_cost_usd", "-inf", "not a number"),
]

# Spreadsheet formulas (OWASP CSV injection), for names that end up in a CSV export.
FORMULAS = ['=HYPERLINK("http://evil.example","Click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


def csl_json(records) -> bytes:
    return json.dumps(records, allow_nan=True).encode("utf-8")


CSL_RECORD = {"source": "Entity List (EL) - Bureau of Industry and Security", "name": "Hostile Test Entity",
              "type": "Entity", "programs": "", "addresses": ""}

# Restricted-party list files (CSL JSON) and what the 400 must say.
LISTS = [
    Payload("deep.json", lambda: "[" * 100_000 + "]" * 100_000, "nested more than"),
    Payload("nan.json", lambda: csl_json([{**CSL_RECORD, "score": float("nan")}]).decode(), "not a number"),
    Payload("surrogate.json", lambda: csl_json([{**CSL_RECORD, "name": "Bad \ud800 name"}]).decode(), "surrogate"),
]

# Checklist files an administrator might upload, and what the 400 must say.
CHECKLISTS = [
    Payload("states/TX.yaml", lambda: _deep_yaml(20_000, flow=True), "nested more than"),
    Payload("states/TX.yaml", lambda: "items: [" + "x, " * 1_200_000 + "]\n", "larger than"),
    Payload("states/TX.yaml", lambda: "id: \x00\n", "not allowed"),
]
BAD_CHECKLIST_NAMES = ["states/TX.yaml\r\nX-Injected: 1", 'states/"TX".yaml', "states/T X.yaml", "../x.yaml",
                       "/etc/x.yaml", "states/TX.yaml\n", "états/TX.yaml", "a/b/c/d.yaml"]


# Attachments: (file name, bytes builder, words the refusal must contain).
def _docx(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    from docx import Document

    out = io.BytesIO()
    Document().save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = document_xml if item.filename == "word/document.xml" else source.read(item.filename)
            target.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return rebuilt.getvalue()


W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _whitespace_bomb() -> bytes:
    return _docx(b"<w:document " + W + b"><w:body><w:p><w:r><w:t>" + b" " * (40 * 1024 * 1024)
                 + b"</w:t></w:r></w:p></w:body></w:document>")


def _many_paragraphs() -> bytes:
    return _docx(b"<w:document " + W + b"><w:body>" + b"<w:p/>" * 2_000_000 + b"</w:body></w:document>")


def _entity_expansion() -> bytes:
    entities = b'<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10) for i in range(8))
    return _docx(b'<?xml version="1.0"?><!DOCTYPE w:document [' + entities + b"]><w:document " + W
                 + b"><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>")


def _encrypted_pdf_v9() -> bytes:
    """A small PDF whose trailer names an encryption scheme pypdf does not know (/V 9)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
               b"<< /Filter /Standard /V 9 /R 9 /Length 256 /P -4 /O (x) /U (y) >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<00> <00>] >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def _encrypted_pdf_rc4() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt("secret", algorithm="RC4-40")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


ATTACHMENTS = [
    ("malformed.docx", lambda: _docx(b"<w:document " + W + b"><w:body><w:p><unclosed>"), "could not be read as DOCX"),
    ("entities.docx", _entity_expansion, "could not be read as DOCX"),
    ("whitespace-bomb.docx", _whitespace_bomb, "too large to read"),
    ("two-million-paragraphs.docx", _many_paragraphs, "decompresses more than"),
    ("sixty-thousand-paragraphs.docx", lambda: _docx(b"<w:document " + W + b"><w:body>" + b"".join(
        b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>" % n for n in range(60_000)) + b"</w:body></w:document>"),
     "50,000 paragraphs"),
    ("no-body.docx", lambda: _zip({"[Content_Types].xml": b"<Types/>"}), "could not be read as DOCX"),
    ("ratio.docx", lambda: _zip({"word/document.xml": b"<" + b"a" * (8 * 1024 * 1024)}), "decompresses more than"),
    ("encrypted-v9.pdf", _encrypted_pdf_v9, "password-protected"),
    ("encrypted-rc4.pdf", _encrypted_pdf_rc4, "password-protected"),
    ("truncated.pdf", lambda: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "could not be read as PDF"),
    ("zeros.pdf", lambda: b"%PDF-1.4\n" + zlib.compress(b"\x00" * 1000), "could not be read as PDF"),
]


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()
