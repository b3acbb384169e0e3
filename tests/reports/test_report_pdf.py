"""Read the rendered PDF back: PDF/UA structure, metadata, content, pagination, watermark."""
from __future__ import annotations

import io
import re

import pikepdf

from riskdesk.engine.report.render import build_context, render_html
from riskdesk.engine.report.sample import SAMPLE_DOCUMENT, SAMPLE_RESULT

DOC_TITLE = f"Staff report: {SAMPLE_DOCUMENT['title']}"


def open_pdf(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def test_pdf_ua_catalog_and_metadata(draft_pdf):
    pdf = open_pdf(draft_pdf)
    root = pdf.Root
    assert "/StructTreeRoot" in root
    assert bool(root.MarkInfo.Marked) is True
    assert str(root.Lang) == "en"
    assert bool(root.ViewerPreferences.DisplayDocTitle) is True
    assert str(pdf.docinfo["/Title"]) == DOC_TITLE
    meta = pdf.open_metadata()
    assert meta.get("dc:title") == DOC_TITLE
    xmp = bytes(root.Metadata.read_bytes()).decode("utf-8", "replace")
    assert "pdfuaid" in xmp and re.search(r"pdfuaid:part[^0-9]*1", xmp)
    assert pdf.pdf_version >= "1.7"


def test_letter_size(draft_pdf):
    pdf = open_pdf(draft_pdf)
    for page in pdf.pages:
        box = [float(x) for x in page.MediaBox]
        assert (round(box[2] - box[0]), round(box[3] - box[1])) == (612, 792)


def test_headings_in_order_one_h1(draft_pdf, large_pdf, kit):
    for data in (draft_pdf, large_pdf):
        tags = [t for t, _ in kit.struct(open_pdf(data))]
        levels = [int(t[2]) for t in tags if re.fullmatch(r"/H[1-6]", t)]
        assert levels and levels[0] == 1
        assert levels.count(1) == 1
        for prev, cur in zip(levels, levels[1:]):
            assert cur <= prev + 1, f"heading level skips from H{prev} to H{cur}"


def test_figures_have_alt_and_tables_have_headers(draft_pdf, kit):
    pdf = open_pdf(draft_pdf)  # keep a reference: elements die with their Pdf
    elements = kit.struct(pdf)
    figures = [e for t, e in elements if t == "/Figure"]
    assert figures, "the category chart must be a tagged Figure"
    for fig in figures:
        assert "/Alt" in fig and str(fig.Alt).strip()
    assert "State law 40 points, critical" in str(figures[0].Alt)
    tables = [e for t, e in elements if t == "/Table"]
    assert len(tables) >= 5
    for table in tables:
        assert "/TH" in kit.descendants(table), "every table needs header cells"


def test_no_box_shadow_in_stylesheet():
    from riskdesk.engine.report.render import STYLESHEET

    assert not re.search(r"box-shadow\s*:", STYLESHEET.read_text())


def test_every_finding_rating_and_citation_in_text(draft_pdf, kit):
    text = kit.text(draft_pdf)
    flat = kit.squash(text)
    for f in SAMPLE_RESULT["findings"]:
        assert f["id"] in text, f["id"]
        for c in f["citations"]:
            assert kit.squash(c["title"]) in flat, c["title"]
            if c.get("verified"):
                assert f"verified {c['verified']}" in text
    assert "CRITICAL" in text
    assert "Overall risk rating" in text
    assert "Do not sign: the law bars this agreement as proposed." in text
    assert "not verified" in text and "Low confidence" in text  # unverified / low-confidence notes
    assert "This report is not legal advice" in text
    for q in SAMPLE_RESULT["open_questions"]:
        assert kit.squash(q) in flat
    assert SAMPLE_RESULT["checklist_release"] in text


def test_section_order(draft_pdf, kit):
    text = kit.text(draft_pdf)
    order = ["1. Decision summary", "2. Legal bars", "3. Other findings by category",
             "4. Conditions of approval", "5. Open questions", "6. Screening", "7. Methodology",
             "This report is not legal advice", "Appendix. The proposal as described by staff"]
    positions = [text.index(h) for h in order]
    assert positions == sorted(positions)


def test_large_report_paginates_with_page_numbers(large_pdf, large_result, kit):
    pdf = open_pdf(large_pdf)
    n = len(pdf.pages)
    assert n > 1
    text = kit.text(large_pdf)
    assert f"Page 1 of {n}" in text
    assert f"Page {n} of {n}" in text
    for f in large_result["findings"]:
        assert f["id"] in text, f["id"]


def test_bookmarks_per_section(draft_pdf):
    pdf = open_pdf(draft_pdf)
    assert "/Outlines" in pdf.Root
    with pdf.open_outline() as outline:
        titles = []

        def walk(items):
            for item in items:
                titles.append(item.title)
                walk(item.children)

        walk(outline.root)
    for h in ("1. Decision summary", "2. Legal bars", "7. Methodology", "Appendix. The proposal as described by staff"):
        assert h in titles
    assert not any(t.startswith("TX-795") for t in titles), "findings are not bookmarked"


def test_draft_watermark_and_header(draft_pdf, issued_pdf, kit):
    draft_text = kit.text(draft_pdf)
    assert "DRAFT" in draft_text
    assert SAMPLE_DOCUMENT["title"] in draft_text  # running header / masthead
    issued_text = kit.text(issued_pdf)
    assert "DRAFT" not in issued_text
    assert "ISSUED" in issued_text
    # the watermark image is only referenced from the draft page style
    assert b"draft-watermark" not in issued_pdf


def test_residual_conditions_and_decision(issued_pdf, kit):
    text = kit.text(issued_pdf)
    assert "Inherent rating (as proposed)" in text and "Residual rating (with the mitigations staff recorded)" in text
    assert "System access removed from the MoU." in text
    assert "Adopted by the council" in text
    assert "No city or port system is connected to LOGINK." in text
    assert "Council decision: Declined on 2026-12-08" in text


def test_screening_section(draft_pdf, kit, document, result, kwargs):
    text = kit.text(draft_pdf)
    assert "False positive" in text and "Not yet reviewed" in text
    assert "SDN-36124" in text
    assert ("6 names from the intake (1 partner, 2 intermediaries, 3 people) were screened on 2026-11-24 against "
            "OFAC SDN (14,965 records, imported 2026-11-20)") in text
    assert "2 potential matches: 0 confirmed, 1 cleared as false positive, 1 not yet reviewed." in text
    ctx = build_context(document, result, **{**kwargs, "screening": None})
    assert "Not screened: no restricted-party list had been imported" in render_html(ctx)
    ctx = build_context(document, result, **{**kwargs, "screening": {**kwargs["screening"], "hits": []}})
    assert "No potential matches." in render_html(ctx) and "Not screened" not in render_html(ctx)


def test_intake_answers_are_readable(draft_pdf, kit):
    text = kit.text(draft_pdf)
    assert "Legally binding Unknown" in text
    assert "Partner country China" in text
    assert "Funding from the partner (USD) $65,000" in text
    assert "Ports and logistics" in text
    assert "{'" not in text and "None" not in text.replace("None named", "")


def test_fonts_embedded(draft_pdf):
    pdf = open_pdf(draft_pdf)
    names = set()
    for page in pdf.pages:
        fonts = page.Resources.get("/Font", {})
        for _, font in fonts.items():
            desc = font.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in font:
                desc = font.DescendantFonts[0].FontDescriptor
            assert desc is not None
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            names.add(str(desc.FontName))
    assert names and all("Report-Sans" in n for n in names), names  # only the shipped font
