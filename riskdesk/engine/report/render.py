"""The council report: context -> HTML (Jinja2) -> tagged PDF (WeasyPrint, PDF/UA-1); DOCX in docx.py.

No Flask and no database here: the caller hands in the intake document, the assessment result and
what screening did (plain dicts, see DESIGN.md) and gets HTML or PDF bytes back.

* :func:`build_context` turns the inputs into everything the report shows, already ordered and in
  words: the decision summary for page 1 (recommendation, what is barred and what would lift it,
  conditions of approval, risk by category, what is still open), the legal bars (prohibitions
  first), the other findings, conditions, open questions by topic, screening exactly as it was run,
  methodology and the full intake as an appendix. Every label comes from ``engine/labels.py`` and
  ``vocabulary.py``; no field path or answer code reaches the reader.
* :func:`render_html` renders ``templates/reports/council_report.html`` with a private Jinja2
  environment: autoescape on, ``StrictUndefined``.
* :func:`render_pdf` renders that HTML with WeasyPrint using :class:`SafeFetcher` for every fetch,
  the package stylesheet parsed once and ``pdf_variant="pdf/ua-1"``; a finisher gives every table
  header cell its ``/Scope`` so header association is machine-determinable.
"""
from __future__ import annotations

import datetime as _dt
import functools
import threading
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from riskdesk.engine.labels import NOT_GIVEN, country_label, field_label, field_phrase, value_label
from riskdesk.engine.labels import intake_fields as schema_fields
from riskdesk.vocabulary import (
    EFFECT_LABELS,
    EFFECTS,
    RATING_LABELS,
    SEVERITIES,
    SEVERITY_LABELS,
    VERDICT_LABELS,
    is_legal_bar,
    label,
    weight_key,
)

from .chart import category_chart_svg, category_label, chart_text, ordered_categories
from .fetcher import BASE_URL, SafeFetcher

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIR = PROJECT_ROOT / "templates" / "reports"
TEMPLATE_NAME = "council_report.html"
STYLESHEET = TEMPLATE_DIR / "council_report.css"

PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "custom_metadata": False}
REPORT_STATUS_LABELS = {"DRAFT": "Draft", "ISSUED": "Issued"}
AGREEMENT_TEXT_LIMIT = 8000
OTHER_TOPIC = "Other questions"
# The fixed prose of the report, shared by the HTML template and the DOCX writer.
TEXTS = {
    "legal_intro": (
        "Laws that prohibit all or part of this agreement come first, then laws that impose conditions on it,"
        " the most severe first. Conditions of approval cannot lift a prohibition."
    ),
    "findings_none": (
        "No risks beyond the legal bars were found."
    ),
    "required_intro": (
        "The actions listed in section 1 follow from legal bars and must be done before the city signs. The "
        "findings each follows from:"
    ),
    "actions_none": (
        "None: no finding calls for a required action or a condition of approval."
    ),
    "suggested_intro": (
        "The council may adopt these; each addresses the findings named after it."
    ),
    "questions_intro": (
        'The intake left these answers as unknown. An unknown answer is never treated as "no": each must be '
        "answered before the assessment is complete, and the rating may rise once it is."
    ),
    "questions_none": (
        "None: every question the checklists ask was answered."
    ),
    "method_intro": (
        "RiskDesk compares the intake answers with checklists of state law, federal law and known risks. Each"
        " checklist item has a category, an effect (prohibition, legal requirement, risk or open question) "
        "and a severity (low, moderate, high or critical). An item applies only when the answers meet its "
        'condition; the report lists those answers under "Why it applies". An answer of "unknown" is never '
        'treated as "no": an item that depends on one adds no points but becomes an open question.'
    ),
    "method_rules": (
        "Each applying item adds the points for its severity, multiplied by the weight of its effect, to its "
        "category and to the total. A rating is the highest band whose threshold the score reaches; the "
        "overall rating is also at least the floor set by the most severe finding, and a prohibition sets it "
        "by itself. Points are never negative, so adding a finding can never lower a rating."
    ),
    "method_no_scoring": (
        "The release's scoring configuration was not supplied to this report, so its points and thresholds "
        "are not shown."
    ),
    "sources_note": (
        'Sources are cited with the date staff last verified them; sources marked "not verified" or "low '
        'confidence" should be confirmed before anyone relies on them. A later checklist release never '
        "changes an issued report; it can only lead to a new assessment."
    ),
    "disclaimer": (
        "This report is not legal advice. It is a structured staff review prepared with the RiskDesk due-"
        "diligence tool from the answers staff gave and the checklists in force on the dates shown. Laws "
        "change and the checklists may be incomplete. The city attorney should review any legal bar, "
        "requirement or open question before the council acts."
    ),
    "appendix_intro": (
        "Every answer given in the intake form, on which this assessment rests, part by part; the questions "
        'left blank are listed under "Not given" in their part.'
    ),
}


# ---------------------------------------------------------------------------------------------
# small helpers


def _get(d: Any, path: str, default: Any = None) -> Any:
    cur = d
    for key in path.split("."):
        if not isinstance(cur, dict) or key not in cur:
            return default
        cur = cur[key]
    return cur


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _today() -> str:
    return _dt.datetime.now(_dt.timezone.utc).date().isoformat()


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _date(value: Any) -> str:
    return _text(value)[:10]


# ---------------------------------------------------------------------------------------------
# findings


def _citation(c: dict) -> dict:
    url = _text(c.get("url"))
    confidence = _text(c.get("confidence")).lower() or None
    verified = _text(c.get("verified")) or None
    notes = []
    if not verified:
        notes.append("Not verified: the source has not been checked against the current law.")
    if confidence == "low":
        notes.append("Low confidence: treat this source as indicative only.")
    if c.get("note"):
        notes.append(_text(c.get("note")).rstrip(".") + ".")
    return {
        "title": _text(c.get("title")) or "Untitled source",
        "url": url,
        # Only web links become clickable; anything else is printed as text.
        "link": url if url.lower().startswith(("https://", "http://")) else None,
        "verified": verified,
        "confidence": confidence,
        "notes": notes,
        "flagged": (not verified) or confidence == "low",
    }


def _jurisdiction_label(code: str) -> str | None:
    """``US-TX`` -> ``TX``; federal items need no label beside "Federal law"."""
    if code == "US":
        return None
    return code.removeprefix("US-")


def _finding(f: dict) -> dict:
    effect = _text(f.get("effect"))
    effect = effect if effect in EFFECTS else "risk"
    severity = _text(f.get("severity"))
    severity = severity if severity in SEVERITIES else "low"
    category = _text(f.get("category"))
    finding = {
        "id": _text(f.get("id")),
        "anchor": "f-" + "".join(ch if ch.isalnum() else "-" for ch in _text(f.get("id"))),
        "category": category,
        "category_label": category_label(category),
        "effect": effect,
        "effect_label": EFFECT_LABELS[effect],
        "severity": severity,
        "severity_label": SEVERITY_LABELS[severity],
        "title": _text(f.get("title")),
        "rationale": " ".join(_text(f.get("rationale")).split()),
        "because": [_text(b) for b in f.get("because") or []],
        "citations": [_citation(c) for c in f.get("citations") or [] if isinstance(c, dict)],
        "mitigations": [" ".join(_text(m).split()) for m in f.get("mitigations") or [] if _text(m).strip()],
        "jurisdiction": _jurisdiction_label(_text(f.get("jurisdiction"))) if f.get("jurisdiction") else None,
        "bars": _text(f.get("bars")) or "agreement",
    }
    finding["is_bar"] = is_legal_bar(finding)
    return finding


def _findings(result: dict) -> list[dict]:
    """Readable findings, heaviest first: prohibitions, requirements, risks, gaps; most severe first."""
    return sorted((_finding(f) for f in result.get("findings") or [] if isinstance(f, dict)), key=weight_key)


# ---------------------------------------------------------------------------------------------
# recommendation


def _barred(prohibitions: list[dict]) -> list[dict]:
    """What each prohibition bars, and what (if anything) would lift it."""
    out = []
    for f in prohibitions:
        title = f["title"].rstrip(". ")
        if f["bars"] == "federal_funds":
            out.append({"id": f["id"], "what": f"{title}; the tie itself is not barred.",
                        "lift_label": "The bar is met if", "lift": f["mitigations"]})
        else:
            out.append({"id": f["id"], "what": f"{title}: the agreement itself is barred as proposed.",
                        "lift_label": "Conditions of approval cannot lift this bar. What the law allows",
                        "lift": f["mitigations"]})
    return out


def _verdict(rating: str, agreement_bars: list, funding_bars: list) -> tuple[str, str, str]:
    """(headline, text, tone) of the recommendation."""
    if agreement_bars:
        return ("Do not sign: the law bars this agreement as proposed.",
                "Staff recommend that the council not approve it and that the city attorney review any "
                "existing ties with this partner.", "stop")
    if funding_bars:
        return ("Federal funds may not pay for part of this proposal; the tie itself is not barred.",
                f"The overall rating is {RATING_LABELS.get(rating, rating).lower()} because a prohibition "
                "applies. The council may approve the tie only on condition that no federal money pays for "
                "what the law bars, and should weigh the other findings below.", "stop")
    return {
        "critical": ("Do not approve as proposed.", "The assessment found critical risks. Staff recommend "
                     "that the proposal be restructured and assessed again before any decision.", "stop"),
        "high": ("Approve only with conditions.", "The assessment found high risks. Staff recommend approval "
                 "only if the council adopts the required actions and conditions of approval.", "caution"),
        "moderate": ("Approve with conditions.", "The assessment found moderate risks that the suggested "
                     "conditions of approval address.", "caution"),
    }.get(rating, ("May be approved.", "The assessment found no significant risks.", "go"))


def _recommendation(rating: str, findings: list[dict], open_count: int, residual: dict | None) -> dict:
    prohibitions = [f for f in findings if f["effect"] == "prohibition"]
    agreement_bars = [f for f in prohibitions if f["bars"] != "federal_funds"]
    funding_bars = [f for f in prohibitions if f["bars"] == "federal_funds"]
    headline, text, tone = _verdict(rating, agreement_bars, funding_bars)
    extra = []
    requirements = [f for f in findings if f["is_bar"] and f["effect"] == "requirement"]
    if requirements and not agreement_bars:
        extra.append(f"{plural(len(requirements), 'legal requirement')} must be met before signing (section 2).")
    if open_count:
        extra.append(f"The assessment is not complete: {plural(open_count, 'open question')} must be answered "
                     "before a final decision (section 5).")
    if residual and not agreement_bars:
        extra.append(f"With the mitigations staff recorded, the residual rating is "
                     f"{RATING_LABELS.get(residual['rating'], residual['rating']).lower()}.")
    return {"headline": headline, "text": text, "tone": tone, "extra": extra, "barred": _barred(prohibitions)}


def _actions(findings: list[dict]) -> tuple[list[dict], list[dict]]:
    """Required actions (from legal bars) and suggested conditions (from risks), deduplicated."""
    required: dict[str, dict] = {}
    suggested: dict[str, dict] = {}
    for f in findings:
        target = required if f["effect"] in ("prohibition", "requirement") else suggested
        for text in f["mitigations"]:
            key = text.casefold()
            entry = target.setdefault(key, {"text": text, "ids": []})
            if f["id"] not in entry["ids"]:
                entry["ids"].append(f["id"])
    for key in [k for k in suggested if k in required]:
        required[key]["ids"].extend(i for i in suggested.pop(key)["ids"] if i not in required[key]["ids"])
    return list(required.values()), list(suggested.values())


# ---------------------------------------------------------------------------------------------
# categories, residual, decision


def _categories(result: dict) -> list[dict]:
    return [{"key": k, "label": category_label(k), "score": int(v.get("score") or 0),
             "rating": _text(v.get("rating")) or "low",
             "rating_label": RATING_LABELS.get(_text(v.get("rating")) or "low", _text(v.get("rating")))}
            for k, v in ordered_categories(result.get("categories") or {})]


def _findings_by_category(findings: list[dict], cats: list[dict]) -> list[dict]:
    by_cat: dict[str, list[dict]] = {}
    for f in findings:
        if not f["is_bar"]:
            by_cat.setdefault(f["category"], []).append(f)
    info = {c["key"]: c for c in cats}
    order = [c["key"] for c in cats] + sorted(k for k in by_cat if k not in info)
    return [{"key": k, "label": category_label(k), "score": info.get(k, {}).get("score"),
             "rating": info.get(k, {}).get("rating"), "findings": by_cat[k]} for k in order if k in by_cat]


def _residual(residual: dict | None, findings: list[dict], rating: str) -> dict | None:
    if not residual:
        return None
    by_id = {f["id"]: f for f in findings}
    return {
        "rating": (_text(residual.get("rating")) or rating).lower(),
        "mitigated": [{"finding_id": _text(m.get("finding_id")),
                       "title": by_id.get(_text(m.get("finding_id")), {}).get("title", ""),
                       "mitigation": _text(m.get("mitigation")), "note": _text(m.get("note"))}
                      for m in residual.get("mitigated") or [] if isinstance(m, dict)],
    }


def _decision(decision: dict | None) -> dict | None:
    if not decision:
        return None
    return {"outcome_label": label(decision.get("outcome") or decision.get("verdict")) or "Recorded",
            "date": _text(decision.get("date") or decision.get("at")),
            "by": _text(decision.get("by")), "note": _text(decision.get("note"))}


# ---------------------------------------------------------------------------------------------
# open questions


def _topic(path: str) -> str:
    section = path.split(".")[0].split("[")[0]
    try:
        return field_label(section)
    except KeyError:
        return OTHER_TOPIC


def _open_questions(result: dict) -> dict:
    """Open questions grouped by the intake section they ask about, in the form's order."""
    questions = list(dict.fromkeys(_text(q) for q in result.get("open_questions") or [] if _text(q)))
    topic_of: dict[str, str] = {}
    for u in result.get("undetermined") or []:
        missing = [m for m in u.get("missing") or [] if m]
        if missing and u.get("question"):
            topic_of.setdefault(_text(u["question"]), _topic(missing[0]))
    sections = [field_label(p) for p in schema_fields() if "." not in p and "[" not in p]
    groups: dict[str, list[str]] = {}
    for q in questions:
        groups.setdefault(topic_of.get(q, OTHER_TOPIC), []).append(q)
    order = {name: i for i, name in enumerate(sections + [OTHER_TOPIC])}
    topics = [{"topic": t, "questions": qs} for t, qs in sorted(groups.items(), key=lambda g: order.get(g[0], 99))]
    return {"count": len(questions), "topics": topics,
            "summary": "; ".join(f"{t['topic']} {len(t['questions'])}" for t in topics)}


# ---------------------------------------------------------------------------------------------
# screening


def _hit(r: dict) -> dict:
    adj = r.get("adjudication") or None
    verdict = _text(adj.get("verdict")) if adj else ""
    score = r.get("score")
    try:
        score_txt = f"{float(score):.0f}" if float(score) > 1 else f"{float(score) * 100:.0f}"
    except (TypeError, ValueError):
        score_txt = _text(score)
    return {
        "query": _text(r.get("query")), "role": _text(r.get("role")),
        "list_source": _text(r.get("list_source")), "matched_name": _text(r.get("matched_name")),
        "entry_uid": _text(r.get("entry_uid")), "score": score_txt, "why": _text(r.get("why")),
        "outcome": f"{VERDICT_LABELS.get(verdict, verdict)}" if adj else "Not yet reviewed",
        "reviewed": bool(adj), "confirmed": verdict == "true_match", "cleared": verdict == "false_positive",
        "adj_note": _text(adj.get("note")) if adj else "", "adj_by": _text(adj.get("by")) if adj else "",
        "adj_at": _text(adj.get("at")) if adj else "",
    }


def _list_phrase(snapshot: dict) -> str:
    count = snapshot.get("records")
    records = f"{count:,} records" if isinstance(count, int) else "record count not recorded"
    imported = _date(snapshot.get("snapshot_date"))
    return f"{_text(snapshot.get('source')) or 'unnamed list'} ({records}, imported {imported or 'on a date not recorded'})"


def _parties_phrase(parties: list[dict]) -> str:
    counts: dict[str, int] = {}
    for p in parties:
        kind = _text(p.get("kind")) or "party"
        counts[kind] = counts.get(kind, 0) + 1
    many = {"person": "people", "intermediary": "intermediaries"}
    parts = [plural(n, kind.lower(), many.get(kind.lower())) for kind, n in counts.items()]
    return ", ".join(parts)


def _screening(screening: dict | None) -> dict:
    """What screening did for this assessment, in one true sentence and the possible matches.

    ``screening`` is ``None`` when no list was imported when the proposal was assessed; otherwise it
    has ``lists`` (source, records, snapshot_date), ``parties`` (name, kind), ``screened_at`` and
    ``hits`` (possible matches with their adjudication, if any).
    """
    if not screening or not screening.get("lists"):
        return {"state": "not_screened", "rows": [], "lists": [], "parties": [],
                "sentence": "Not screened: no restricted-party list had been imported when this proposal was "
                            "assessed, so the partner, intermediaries and people named in the intake have not "
                            "been checked against sanctions and restricted-party lists.",
                "short": "Not screened: no list imported."}
    rows = [_hit(r) for r in screening.get("hits") or []]
    parties = [{"name": _text(p.get("name")), "kind": _text(p.get("kind"))} for p in screening.get("parties") or []]
    lists = [_list_phrase(s) for s in screening["lists"]]
    when = _date(screening.get("screened_at"))
    names = (f"{plural(len(parties), 'name')} from the intake ({_parties_phrase(parties)}) "
             f"{'was' if len(parties) == 1 else 'were'}" if parties else "The names in the intake were")
    base = f"{names} screened{' on ' + when if when else ''} against {'; '.join(lists)}."
    if not rows:
        return {"state": "no_match", "rows": [], "lists": lists, "parties": parties,
                "sentence": f"{base} No potential matches.", "short": "Screened: no potential matches."}
    confirmed = sum(r["confirmed"] for r in rows)
    cleared = sum(r["cleared"] for r in rows)
    open_ = sum(not r["reviewed"] for r in rows)
    tally = (f"{plural(len(rows), 'potential match', 'potential matches')}: {confirmed} confirmed, "
             f"{cleared} cleared as false {'positive' if cleared == 1 else 'positives'}, {open_} not yet reviewed.")
    return {"state": "matches", "rows": rows, "lists": lists, "parties": parties,
            "sentence": f"{base} {tally} A potential match is not a finding until staff review it.",
            "short": f"Screened: {tally}", "open": open_, "confirmed": confirmed}


# ---------------------------------------------------------------------------------------------
# intake appendix (driven by the schema, so every field appears with its label)


def _answer(path: str, value: Any, node: dict) -> str:
    if value is None or value == "" or value == []:
        return "open-ended (not given)" if path == "agreement.duration_years" else NOT_GIVEN
    types = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
    if ("number" in types or "integer" in types) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"${value:,.0f}" if path.endswith("_usd") else f"{value:,}"
    if isinstance(value, list) and not node.get("items", {}).get("enum"):
        return ", ".join(_text(v) for v in value)
    return value_label(path, value)


def _is_long_text(node: dict) -> bool:
    return node.get("type") == "string" and node.get("maxLength", 0) > 200 and "enum" not in node


def _section(name: str, node: dict, data: dict) -> dict:
    """One intake section: answered rows, free texts, and the labels of blank fields in form order."""
    fields = schema_fields()
    rows, texts, blank = [], [], []
    for child in node.get("properties", {}):
        path = f"{name}.{child}"
        value = data.get(child) if isinstance(data, dict) else None
        sub = fields.get(path, {})
        if _is_long_text(sub):  # the agreement text is printed in full at the end of the appendix
            if not _text(value).strip():
                blank.append(field_label(path))
            elif path != "agreement.text":
                texts.append((field_label(path), _text(value)))
            continue
        answer = _answer(path, value, sub)
        if answer == NOT_GIVEN:
            blank.append(field_phrase(path))
        else:
            rows.append({"label": field_phrase(path), "value": answer})
    return {"heading": field_label(name), "rows": rows, "blank": blank, "text": texts}


def _row_table(name: str, rows: list) -> dict:
    fields = schema_fields()
    columns = [c for c in fields if c.startswith(f"{name}[].")]
    return {"heading": field_label(name), "columns": [field_label(c) for c in columns],
            "rows": [[_answer(c, row.get(c.split(".")[-1]), fields[c]) if isinstance(row, dict) else ""
                      for c in columns] for row in rows]}


def _intake(document: dict) -> dict:
    """The whole intake as labelled sections, tables of rows, free texts and the agreement text.

    Every field of the schema appears: answered ones with their answer, blank ones (an empty list
    of rows or a blank text too) by label in their section's "Not given" line.
    """
    d = document or {}
    fields = schema_fields()
    first = {"heading": "The proposal", "rows": [], "blank": [], "text": []}
    sections, tables = [first], []
    for name in (p for p in fields if "." not in p and "[" not in p):
        node = fields[name]
        if node.get("type") == "object":
            sections.append(_section(name, node, d.get(name) or {}))
        elif node.get("type") == "array" and fields.get(f"{name}[]", {}).get("type") == "object":
            if d.get(name):
                tables.append(_row_table(name, d[name]))
            else:
                first["blank"].append(field_label(name))
        elif _is_long_text(node):
            if _text(d.get(name)).strip():
                first["text"].append((field_label(name), _text(d.get(name))))
            else:
                first["blank"].append(field_label(name))
        else:
            answer = _answer(name, d.get(name), node)
            if answer == NOT_GIVEN:
                first["blank"].append(field_label(name))
            else:
                first["rows"].append({"label": field_label(name), "value": answer})
    agreement_text = _text(_get(d, "agreement.text"))
    return {"sections": sections, "tables": tables, "agreement_heading": field_label("agreement.text"),
            "agreement_text": agreement_text[:AGREEMENT_TEXT_LIMIT],
            "agreement_text_truncated": len(agreement_text) > AGREEMENT_TEXT_LIMIT,
            "agreement_words": len(agreement_text.split())}


# ---------------------------------------------------------------------------------------------
# methodology and state-law coverage


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else _text(value)


def _scoring(scoring: dict | None) -> dict | None:
    """The release's own scoring rules as table rows; None when the caller did not supply them."""
    if not scoring:
        return None
    points, overall = scoring.get("severity_points") or {}, scoring.get("thresholds") or {}
    per_category = scoring.get("category_thresholds") or {}
    rows = [{"severity": SEVERITY_LABELS[s], "points": _number(points.get(s, "")),
             "overall_from": _number(overall.get(s, 0 if s == "low" else "")),
             "category_from": _number(per_category.get(s, 0 if s == "low" else ""))} for s in SEVERITIES]
    weights = "; ".join(f"{EFFECT_LABELS.get(e, e)} × {_number(w)}"
                        for e, w in (scoring.get("effect_weight") or {}).items())
    return {"rows": rows, "weights": weights, "has_category": bool(per_category),
            "description": " ".join(_text(scoring.get("description")).split())}


def _state_law(result: dict) -> dict | None:
    law = result.get("state_law")
    if not isinstance(law, dict):
        return None
    packs = law.get("packs") or []
    surveyed_on, note = _text(law.get("surveyed_on")), _text(law.get("note"))
    return {"state": _text(law.get("state")), "status": _text(law.get("status")).replace("_", " "),
            "surveyed_on": "" if surveyed_on in note else surveyed_on,  # the note often names the date itself
            "packs": ", ".join(_text(p.get("title") if isinstance(p, dict) else p) for p in packs),
            "note": note}


# ---------------------------------------------------------------------------------------------
# the whole context


def _masthead(document: dict, status: str, issued_at: str | None, release: dict, result: dict,
              generated: str, report_number: str | None) -> dict:
    title = _text(document.get("title")) or "Untitled proposal"
    city = document.get("city") or {}
    return {
        "lang": "en", "title": title, "doc_title": f"Staff report: {title}",
        "status": status, "status_label": REPORT_STATUS_LABELS.get(status, status.title()),
        "is_draft": status != "ISSUED", "issued_at": _text(issued_at) or None, "generated_at": generated,
        "report_number": _text(report_number) or None,
        "city_name": ", ".join(x for x in (_text(city.get("name")), _text(city.get("state"))) if x),
        "office": f"{_text(city.get('name')) or 'City'} International Office",
        "partner_name": _text(_get(document, "partner.name")),
        "partner_country": country_label(_get(document, "partner.country")),
        "agreement_type": value_label("agreement.type", _get(document, "agreement.type")),
        "summary": _text(document.get("summary")),
        "release": {"hash": _text(release.get("hash") or result.get("checklist_release")),
                    "created_at": _text(release.get("created_at")) or None,
                    "note": _text(release.get("note")) or None},
        "assessed_at": _text(result.get("assessed_on") or result.get("assessed_at")) or generated,
    }


def build_context(document: dict, result: dict, *, status: str = "DRAFT",
                  issued_at: str | None = None, release: dict | None = None,
                  screening: dict | None = None, residual: dict | None = None,
                  conditions: list[str] | None = None, decision: dict | None = None,
                  generated_at: str | None = None, scoring: dict | None = None,
                  report_number: str | None = None) -> dict:
    """Everything the report shows (HTML and DOCX), derived from the inputs and ordered for reading.

    ``scoring`` is the release's scoring configuration (``scoring_summary``); without it the
    methodology section says so instead of printing figures. ``screening`` is described in
    :func:`_screening`.
    """
    document, result = document or {}, result or {}
    status = (_text(status) or "DRAFT").upper()
    rating = (_text(result.get("rating")) or "low").lower()
    findings = _findings(result)
    cats = _categories(result)
    required, suggested = _actions(findings)
    questions = _open_questions(result)
    residual_ctx = _residual(residual, findings, rating)
    return {
        **_masthead(document, status, issued_at, release or {}, result, generated_at or _today(), report_number),
        "rating": rating,
        "rating_label": RATING_LABELS.get(rating, rating),
        "prohibited": bool(result.get("prohibited")),
        "score": result.get("score", 0),
        "recommendation": _recommendation(rating, findings, questions["count"], residual_ctx),
        "categories": cats,
        "scored_categories": [c for c in cats if c["score"] > 0],
        "chart_svg": category_chart_svg(result.get("categories") or {}) if cats else None,
        "chart_text": chart_text(result.get("categories") or {}),
        "bars": [f for f in findings if f["is_bar"]],
        "findings_by_category": _findings_by_category(findings, cats),
        "finding_count": len(findings),
        "count_by_effect": {e: sum(1 for f in findings if f["effect"] == e) for e in EFFECTS},
        "required_actions": required,
        "suggested_conditions": suggested,
        "conditions": [_text(c) for c in conditions or [] if _text(c).strip()],
        "residual": residual_ctx,
        "questions": questions,
        "screening": _screening(screening),
        "state_law": _state_law(result),
        "intake": _intake(document),
        "scoring": _scoring(scoring),
        "decision": _decision(decision),
        "texts": TEXTS,
    }


# ---------------------------------------------------------------------------------------------
# HTML


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"),
                                     default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["upper_rating"] = lambda r: _text(r).upper()
    env.filters["plural"] = plural
    return env


def render_html(context: dict) -> str:
    return _environment().get_template(TEMPLATE_NAME).render(**context)


# ---------------------------------------------------------------------------------------------
# PDF

_render_lock = threading.Lock()
_SCOPES = {"row": "/Row", "col": "/Column", "both": "/Both"}


@functools.lru_cache(maxsize=1)
def _resources():
    """FontConfiguration + the parsed stylesheet, built once per process and reused."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    fetcher = SafeFetcher()
    css = CSS(string=STYLESHEET.read_text(encoding="utf-8"), base_url=BASE_URL,
              url_fetcher=fetcher, font_config=font_config)
    if fetcher.refused:  # our own stylesheet must not reference anything outside the allow-list
        raise RuntimeError(f"report stylesheet refers to refused URLs: {fetcher.refused}")
    return font_config, css


def scope_header_cells(document, pdf) -> None:
    """WeasyPrint finisher: give each /TH structure element the /Scope of its ``<th scope>``.

    WeasyPrint 70 links data cells to their headers with /Headers but leaves /Scope off the header
    cells, so checkers cannot tell which cells a header labels (PDF/UA-1 7.5, UA-15-003).
    """
    for page in document.pages:
        for box in page._page_box.descendants():
            mark = getattr(box, "mark", None)
            if mark is not None and box.element_tag == "th" and "A" in mark:
                mark["A"]["Scope"] = _SCOPES.get(box.element.attrib.get("scope", "col"), "/Column")


def render_pdf(html: str, *, fetcher: SafeFetcher | None = None) -> bytes:
    """Render report HTML to PDF bytes (PDF/UA-1). Pass ``fetcher`` to inspect what was refused."""
    from weasyprint import HTML

    font_config, css = _resources()
    fetcher = fetcher if fetcher is not None else SafeFetcher()
    with _render_lock:  # WeasyPrint is not documented as thread-safe; the font config is shared
        return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(
            stylesheets=[css], font_config=font_config, finisher=scope_header_cells, **PDF_OPTIONS)


def render_report(document: dict, result: dict, **kw) -> bytes:
    """build_context -> render_html -> render_pdf."""
    return render_pdf(render_html(build_context(document, result, **kw)))
