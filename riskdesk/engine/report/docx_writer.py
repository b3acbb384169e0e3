"""The council report as a Word document, for agenda-management systems that take DOCX.

Built from the same :func:`render.build_context` as the PDF, with the same headings in the same
order, the same sentences (``render.TEXTS`` holds the fixed prose) and the same release hash and
report number; only the layout differs. Real Word headings (Heading 1-3), real tables with a
repeated header row, and the document's title, subject and keywords in its core properties.
"""
from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from .render import build_context, plural

SECTION_HEADINGS = (
    "1. Decision summary", "2. Legal bars", "3. Other findings by category", "4. Conditions of approval",
    "5. Open questions", "6. Screening against sanctions and restricted-party lists", "7. Methodology",
    "Appendix. The proposal as described by staff",
)


def _para(doc: WordDocument, text: str = "", *, bold_lead: str = "", style: str | None = None, size: float | None = None):
    p = doc.add_paragraph(style=style)
    if bold_lead:
        p.add_run(bold_lead).bold = True
        if text:
            p.add_run(" ")
    if text:
        run = p.add_run(text)
        if size:
            run.font.size = Pt(size)
    return p


def _bullets(doc: WordDocument, items, numbered: bool = False) -> None:
    for item in items:
        doc.add_paragraph(item, style="List Number" if numbered else "List Bullet")


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _table(doc: WordDocument, header: list[str] | None, rows: list[list[str]], caption: str = "") -> None:
    if caption:
        _para(doc, bold_lead=caption)
    columns = len(header) if header else (len(rows[0]) if rows else 2)
    table = doc.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    if header:
        cells = table.add_row().cells
        for cell, text in zip(cells, header):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        _repeat_header(table.rows[0])
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = str(text)


def _finding(doc: WordDocument, f: dict, level: int) -> None:
    doc.add_heading(f["title"], level=level)
    meta = f"{f['effect_label']} · {f['severity_label']} · {f['category_label']}"
    meta += f" · {f['jurisdiction']}" if f["jurisdiction"] else ""
    _para(doc, f"{meta} · {f['id']}", size=8.5)
    if f["rationale"]:
        _para(doc, f["rationale"])
    if f["because"]:
        _para(doc, "; ".join(f["because"]) + ".", bold_lead="Why it applies:")
    if f["is_bar"] and f["mitigations"]:
        _para(doc, " ".join(f["mitigations"]), bold_lead="Required action:")
    if f["citations"]:
        sources = []
        for c in f["citations"]:
            seen = f"verified {c['verified']}" if c["verified"] else "not verified"
            seen += f"; confidence {c['confidence']}" if c["confidence"] else ""
            source = f"{c['title']} ({seen}){' ' + c['link'] if c['link'] else ''}"
            # a note is a sentence of its own, ending in a full stop: no separator after it
            sources.append(f"{source} {' '.join(c['notes'])}" if c["notes"] else f"{source};")
        _para(doc, " ".join(sources).removesuffix(";") + ("" if f["citations"][-1]["notes"] else "."),
              bold_lead="Sources:", size=8.5)


def _masthead(doc: WordDocument, c: dict) -> None:
    office = f"{c['office']}{' · ' + c['city_name'] if c['city_name'] else ''} · Staff report to the City Council"
    _para(doc, office)
    doc.add_heading(c["title"], level=0)
    status = c["status"]
    if c["is_draft"]:
        status += " (not for decision; findings may change)"
    else:
        status += f" · Report {c['report_number']}" if c["report_number"] else ""
        status += f" · issued {c['issued_at']}" if c["issued_at"] else ""
    partner = c["partner_name"] or "a partner not named"
    partner += f", {c['partner_country']}" if c["partner_country"] else ""
    _para(doc, f"{status} · {c['agreement_type']} with {partner} · report date {c['generated_at']} · "
               f"checklist release {c['release']['hash'][:12] or 'not recorded'}")


def _summary(doc: WordDocument, c: dict) -> None:
    rec = c["recommendation"]
    doc.add_heading(SECTION_HEADINGS[0], level=1)
    _para(doc, bold_lead=rec["headline"])
    _para(doc, f"Overall risk rating: {c['rating'].upper()}"
               + (" (a law prohibits part or all of it)" if c["prohibited"] else ""))
    for text in [rec["text"], *rec["extra"]]:
        _para(doc, text)
    if rec["barred"]:
        doc.add_heading("What is barred", level=2)
        _bullets(doc, [f"{b['what']}" + (f" {b['lift_label']}: {' '.join(b['lift'])}" if b["lift"] else "")
                       for b in rec["barred"]])
    doc.add_heading("Still open", level=2)
    q = c["questions"]
    _bullets(doc, [f"{plural(q['count'], 'open question')} (section 5): {q['summary']}." if q["count"]
                   else "No open questions: every question the checklists ask was answered.",
                   c["screening"]["short"]])
    doc.add_heading("Risk by category", level=2)
    cats = " · ".join(f"{x['label']} {x['rating'].upper()} {x['score']} points" for x in c["scored_categories"])
    _para(doc, f"{cats}; every other category LOW 0 points." if cats else "Every category LOW 0 points.")
    doc.add_heading("Conditions of approval", level=2)
    if c["conditions"]:
        _para(doc, f"Adopted: {'; '.join(c['conditions'])}.")
    if c["required_actions"]:
        _para(doc, "Required before signing:")
        _bullets(doc, [a["text"] for a in c["required_actions"]], numbered=True)
    else:
        _para(doc, "No legal requirement to meet before signing.")
    n = len(c["suggested_conditions"])
    _para(doc, f"{plural(n, 'further condition')} of approval {'is' if n == 1 else 'are'} suggested in section 4."
          if n else "No further conditions are suggested.")
    if c["decision"]:
        d = c["decision"]
        _para(doc, f"{d['outcome_label']}{' on ' + d['date'] if d['date'] else ''}"
                   f"{' (' + d['by'] + ')' if d['by'] else ''}{'. ' + d['note'] if d['note'] else ''}",
              bold_lead="Council decision:")


def _legal_and_findings(doc: WordDocument, c: dict) -> None:
    t = c["texts"]
    doc.add_heading(SECTION_HEADINGS[1], level=1)
    if not c["bars"]:
        _para(doc, "No state or federal law prohibits this agreement or imposes a specific legal requirement on it, "
                   "based on the answers given" + (" (some answers are still open; see section 5)."
                                                   if c["questions"]["count"] else "."))
    else:
        _para(doc, t["legal_intro"])
        for f in c["bars"]:
            _finding(doc, f, 2)
    law = c["state_law"]
    if law:
        _para(doc, f"{law['state']}{', ' + law['status'] if law['status'] else ''}"
                   f"{' (surveyed ' + law['surveyed_on'] + ')' if law['surveyed_on'] else ''}"
                   f"{'; checklists: ' + law['packs'] if law['packs'] else ''}.{' ' + law['note'] if law['note'] else ''}",
              bold_lead="State law checked:")
    doc.add_heading(SECTION_HEADINGS[2], level=1)
    if not c["findings_by_category"]:
        _para(doc, t["findings_none"])
    else:
        _para(doc, f"Figure 1. {c['chart_text']}")
    for cat in c["findings_by_category"]:
        doc.add_heading(f"{cat['label']} {(cat['rating'] or '').upper()} {cat['score']} points"
                        if cat["rating"] else cat["label"], level=2)
        for f in cat["findings"]:
            _finding(doc, f, 3)


def _actions(doc: WordDocument, c: dict) -> None:
    """Section 4 when there is something in it: adopted, required (named in section 1), suggested, residual."""
    t = c["texts"]
    if c["conditions"]:
        doc.add_heading("Adopted by the council", level=2)
        _bullets(doc, c["conditions"], numbered=True)
    doc.add_heading("Required actions", level=2)
    if c["required_actions"]:
        refs = "; ".join(f"{i}. {', '.join(a['ids'])}" for i, a in enumerate(c["required_actions"], start=1))
        _para(doc, f"{t['required_intro']} {refs}.")
    else:
        _para(doc, "None.")
    doc.add_heading("Suggested conditions", level=2)
    if c["suggested_conditions"]:
        _para(doc, t["suggested_intro"])
        _bullets(doc, [f"{a['text']} ({', '.join(a['ids'])})" for a in c["suggested_conditions"]], numbered=True)
    else:
        _para(doc, "None.")
    if c["residual"]:
        _para(doc, f"Inherent rating (as proposed): {c['rating'].upper()}. Residual rating (with the mitigations "
                   f"staff recorded): {c['residual']['rating'].upper()}.")
        _bullets(doc, [f"{m['title'] or m['finding_id']}: {m['mitigation']}{' (' + m['note'] + ')' if m['note'] else ''}"
                       f" ({m['finding_id']})" for m in c["residual"]["mitigated"]])


def _conditions_and_questions(doc: WordDocument, c: dict) -> None:
    t = c["texts"]
    doc.add_heading(SECTION_HEADINGS[3], level=1)
    if not (c["conditions"] or c["required_actions"] or c["suggested_conditions"] or c["residual"]):
        _para(doc, t["actions_none"])
    else:
        _actions(doc, c)
    doc.add_heading(SECTION_HEADINGS[4], level=1)
    if not c["questions"]["count"]:
        _para(doc, t["questions_none"])
        return
    _para(doc, t["questions_intro"])
    for topic in c["questions"]["topics"]:
        doc.add_heading(f"{topic['topic']} ({len(topic['questions'])})", level=2)
        _bullets(doc, topic["questions"])


def _screening_and_method(doc: WordDocument, c: dict) -> None:
    t = c["texts"]
    doc.add_heading(SECTION_HEADINGS[5], level=1)
    _para(doc, c["screening"]["sentence"])
    for i, r in enumerate(c["screening"]["rows"], start=1):
        review = r["outcome"] + (f" by {r['adj_by']}" if r["adj_by"] else "") + (f" on {r['adj_at']}" if r["adj_at"] else "")
        review += f": {r['adj_note']}" if r["adj_note"] else ""
        _table(doc, None, [
            ["Name screened", r["query"] + (f" ({r['role']})" if r["role"] else "")],
            ["Listed name", r["matched_name"]],
            ["List and entry", r["list_source"] + (f", entry {r['entry_uid']}" if r["entry_uid"] else "")],
            ["Similarity", f"{r['score']} of 100" + (f": {r['why']}" if r["why"] else "")],
            ["Review", review]], caption=f"Potential match {i}: {r['query']}")
    doc.add_heading(SECTION_HEADINGS[6], level=1)
    _para(doc, t["method_intro"])
    scoring = c["scoring"]
    if scoring:
        _para(doc, scoring["description"] or t["method_rules"])
        header = ["Severity", "Points", "Overall band from"] + (["Category band from"] if scoring["has_category"] else [])
        _table(doc, header, [[r["severity"], r["points"], r["overall_from"]]
                             + ([r["category_from"]] if scoring["has_category"] else []) for r in scoring["rows"]],
               caption="Scoring points and thresholds in this release")
        _para(doc, f"Effect weights: {scoring['weights']}.")
    else:
        _para(doc, t["method_no_scoring"])
    rel = c["release"]
    record = f"assessed {c['assessed_at']} under checklist release {rel['hash'] or 'not recorded'}"
    record += f", published {rel['created_at']}" if rel["created_at"] else ""
    record += f" ({rel['note']})" if rel["note"] else ""
    record += f". {c['status_label']} report" + (f" number {c['report_number']}" if c["report_number"] else "")
    record += f", issued {c['issued_at']}." if c["issued_at"] else "."
    _para(doc, record, bold_lead="Assessment record:")
    _para(doc, t["sources_note"])
    _para(doc, t["disclaimer"]).runs[0].italic = True


def _appendix(doc: WordDocument, c: dict) -> None:
    intake = c["intake"]
    doc.add_heading(SECTION_HEADINGS[7], level=1)
    _para(doc, c["texts"]["appendix_intro"])
    for s in intake["sections"]:
        doc.add_heading(s["heading"], level=2)
        if s["rows"]:
            _table(doc, None, [[r["label"], r["value"]] for r in s["rows"]])
        for label, text in s["text"]:
            _para(doc, text, bold_lead=f"{label}:")
        if s["blank"]:
            _para(doc, "; ".join(s["blank"]) + ".", bold_lead="Not given:")
    for table in intake["tables"]:
        doc.add_heading(table["heading"], level=2)
        _table(doc, table["columns"], table["rows"])
    if intake["agreement_text"]:
        words = f"{intake['agreement_words']} words"
        if intake["agreement_text_truncated"]:
            words += "; the first part is shown, the full text is on file"
        doc.add_heading(f"{intake['agreement_heading']} ({words})", level=2)
        _para(doc, intake["agreement_text"], size=8.5)


def render_docx_context(c: dict) -> bytes:
    doc = Document()
    props = doc.core_properties
    props.title = c["doc_title"]
    props.author = c["office"]
    props.subject = "Due-diligence staff report on a proposed international partnership"
    props.keywords = f"checklist release {c['release']['hash']}" + (
        f"; report {c['report_number']}" if c["report_number"] else "")
    props.language = c["lang"]
    props.created = props.modified = dt.datetime.fromisoformat(c["generated_at"][:10])
    header = doc.sections[0].header.paragraphs[0]
    header.text = f"{c['title']} · {c['status']}" + (f" · Report {c['report_number']}" if c["report_number"] else "")
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.sections[0].footer.paragraphs[0].text = "Staff report · not legal advice"
    _masthead(doc, c)
    _summary(doc, c)
    _legal_and_findings(doc, c)
    _conditions_and_questions(doc, c)
    _screening_and_method(doc, c)
    _appendix(doc, c)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_docx(document: dict, result: dict, **kw) -> bytes:
    """The same inputs as ``render.render_report``; DOCX bytes out."""
    return render_docx_context(build_context(document, result, **kw))
