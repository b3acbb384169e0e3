"""The council report: context -> HTML (Jinja2) -> tagged PDF (WeasyPrint, PDF/UA-1).

No Flask and no database here: the caller hands in the intake document and the assessment result
(both plain dicts, see DESIGN.md) and gets HTML or PDF bytes back.

* :func:`build_context` turns the inputs into everything the template shows, already ordered and
  labelled (recommendation, legal bars, findings by category, actions, screening, intake answers,
  methodology).
* :func:`render_html` renders ``templates/reports/council_report.html`` with a private Jinja2
  environment: autoescape on, ``StrictUndefined``.
* :func:`render_pdf` renders that HTML with WeasyPrint using :class:`SafeFetcher` for every fetch,
  the package stylesheet parsed once (``CSS`` object, same fetcher and ``FontConfiguration``) and
  ``pdf_variant="pdf/ua-1"``.
"""
from __future__ import annotations

import datetime as _dt
import functools
import threading
from pathlib import Path
from typing import Any, Iterable

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .chart import category_chart_svg, category_label, chart_text, ordered_categories
from .fetcher import BASE_URL, SafeFetcher

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIR = PROJECT_ROOT / "templates" / "reports"
TEMPLATE_NAME = "council_report.html"
STYLESHEET = TEMPLATE_DIR / "council_report.css"

PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "custom_metadata": False}

SEVERITY_ORDER = {"critical": 0, "high": 1, "moderate": 2, "low": 3}
EFFECT_ORDER = {"prohibition": 0, "requirement": 1, "risk": 2, "gap": 3}
RATING_ORDER = ["low", "moderate", "high", "critical"]
LEGAL_CATEGORIES = ("legal_state", "legal_federal")
BAR_EFFECTS = ("prohibition", "requirement")
EFFECT_LABELS = {
    "prohibition": "Prohibition", "requirement": "Legal requirement",
    "risk": "Risk", "gap": "Open question",
}
STATUS_LABELS = {"DRAFT": "Draft", "ISSUED": "Issued"}
AGREEMENT_TYPES = {
    "sister_city": "Sister-city agreement", "friendship_city": "Friendship-city agreement",
    "mou": "Memorandum of understanding", "technical_cooperation": "Technical cooperation",
    "economic_development": "Economic development", "delegation_visit": "Delegation visit",
    "network_membership": "Network membership", "grant_or_donation": "Grant or donation",
    "other": "Other",
}
DEFAULT_SCORING = {
    # Illustrative defaults, shown only when the caller passes no scoring configuration.
    "severity_points": {"low": 1, "moderate": 3, "high": 8, "critical": 20},
    "effect_weight": {"prohibition": 1, "requirement": 1, "risk": 1, "gap": 0},
    "thresholds": {"moderate": 5, "high": 15, "critical": 30},
}

# Sentinel used to tell a missing answer from an explicit one.
_MISSING = object()


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


@functools.lru_cache(maxsize=512)
def country_name(code: str | None) -> str:
    if not code:
        return ""
    try:
        import pycountry  # runtime dependency of the project; optional here

        c = pycountry.countries.get(alpha_2=str(code).upper())
    except Exception:  # pragma: no cover - pycountry missing or broken
        c = None
    if c is None:
        return str(code)
    return f"{getattr(c, 'common_name', None) or c.name} ({c.alpha_2})"


LABELS = {
    "ngo": "NGO", "mou": "MoU", "agenda_21": "Agenda 21", "agenda_2030_sdgs": "Agenda 2030 (SDGs)",
    "new_urban_agenda": "New Urban Agenda", "paris_agreement": "Paris Agreement",
    "iclei_membership": "ICLEI membership", "other_un": "Other UN agenda",
    "smart_city_data": "Smart city and data", "ports_logistics": "Ports and logistics",
    "system_access": "System access (partner can use city systems)",
}


def humanize(value: Any) -> str:
    """``state_owned_enterprise`` -> ``State owned enterprise``."""
    if isinstance(value, str) and value in LABELS:
        return LABELS[value]
    s = _text(value).replace("_", " ").strip()
    return s[:1].upper() + s[1:]


def answer(value: Any) -> str:
    """A readable answer for the intake section: tri-states, numbers, lists, blanks."""
    if value is _MISSING or value is None or value == "":
        return "Not answered"
    if value is True or value == "yes":
        return "Yes"
    if value is False or value == "no":
        return "No"
    if value == "unknown":
        return "Unknown (open question)"
    if isinstance(value, (list, tuple)):
        return ", ".join(humanize(v) for v in value) if value else "None"
    if isinstance(value, str):
        if value in LABELS:
            return LABELS[value]
        return humanize(value) if value.replace("_", "").isalnum() and "_" in value else value
    return _text(value)


def money(value: Any) -> str:
    if value in (None, "", _MISSING):
        return "Not answered"
    if value == "unknown":
        return "Unknown (open question)"
    try:
        return f"${float(value):,.0f}"
    except (TypeError, ValueError):
        return _text(value)


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        key = " ".join(_text(item).split())
        if key and key.casefold() not in {k.casefold() for k in seen}:
            seen[key] = None
    return list(seen)


# ---------------------------------------------------------------------------------------------
# context


def _citation(c: dict) -> dict:
    url = _text(c.get("url"))
    confidence = _text(c.get("confidence")).lower() or None
    verified = _text(c.get("verified")) or None
    notes = []
    if not verified:
        notes.append("Not verified: the source has not been checked against the current law.")
    if confidence == "low":
        notes.append("Low confidence: treat this source as indicative only.")
    elif confidence == "medium":
        notes.append("Medium confidence.")
    if c.get("note"):
        notes.append(_text(c.get("note")))
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


def _finding(f: dict) -> dict:
    effect = _text(f.get("effect")) or "risk"
    category = _text(f.get("category"))
    return {
        "id": _text(f.get("id")),
        "anchor": "f-" + "".join(ch if ch.isalnum() else "-" for ch in _text(f.get("id"))),
        "category": category,
        "category_label": category_label(category),
        "effect": effect,
        "effect_label": EFFECT_LABELS.get(effect, humanize(effect)),
        "severity": _text(f.get("severity")) or "low",
        "title": _text(f.get("title")),
        "rationale": _text(f.get("rationale")),
        "because": [_text(b) for b in f.get("because") or []],
        "citations": [_citation(c) for c in f.get("citations") or [] if isinstance(c, dict)],
        "mitigations": [_text(m) for m in f.get("mitigations") or []],
        "jurisdiction": _text(f.get("jurisdiction")) or None,
        "is_bar": category in LEGAL_CATEGORIES and effect in BAR_EFFECTS,
    }


def _sort_key(f: dict):
    return (EFFECT_ORDER.get(f["effect"], 9), SEVERITY_ORDER.get(f["severity"], 9), f["id"])


def _recommendation(rating: str, prohibited: bool, findings: list[dict], open_questions: list,
                    residual: dict | None) -> dict:
    requirements = [f for f in findings if f["is_bar"] and f["effect"] == "requirement"]
    if prohibited:
        headline = "Do not sign: a legal bar applies."
        text = ("At least one state or federal law prohibits this agreement as proposed (see "
                "Legal bars). Staff recommend that the council not approve it and that the city "
                "attorney review any existing ties with this partner.")
        tone = "stop"
    elif rating == "critical":
        headline = "Do not approve as proposed."
        text = ("The assessment found critical risks. Staff recommend that the proposal be "
                "restructured and assessed again before any decision.")
        tone = "stop"
    elif rating == "high":
        headline = "Approve only with conditions."
        text = ("The assessment found high risks. Staff recommend approval only if the council "
                "adopts the required actions and conditions of approval listed in this report.")
        tone = "caution"
    elif rating == "moderate":
        headline = "Approve with conditions."
        text = ("The assessment found moderate risks that the suggested conditions of approval "
                "address.")
        tone = "caution"
    else:
        headline = "May be approved."
        text = "The assessment found no significant risks."
        tone = "go"
    extra = []
    if requirements and not prohibited:
        n = len(requirements)
        extra.append(f"{n} legal requirement{'s' if n != 1 else ''} must be met before signing.")
    if open_questions:
        n = len(open_questions)
        extra.append(f"The assessment is not complete: {n} open question{'s' if n != 1 else ''} "
                     "must be answered before a final decision.")
    if residual and residual.get("rating") and not prohibited:
        extra.append(f"With the recorded mitigations the residual rating is "
                     f"{_text(residual.get('rating')).upper()}.")
    return {"headline": headline, "text": text, "extra": extra, "tone": tone}


def _actions(findings: list[dict]) -> tuple[list[dict], list[dict]]:
    """Required actions (from legal bars) and suggested conditions (from risks), deduplicated."""
    required: dict[str, dict] = {}
    suggested: dict[str, dict] = {}
    for f in findings:
        target = required if f["effect"] in BAR_EFFECTS else suggested
        for m in f["mitigations"]:
            text = " ".join(m.split())
            if not text:
                continue
            key = text.casefold()
            if target is suggested and key in required:
                required[key]["ids"].append(f["id"])
                continue
            entry = target.setdefault(key, {"text": text, "ids": []})
            if f["id"] not in entry["ids"]:
                entry["ids"].append(f["id"])
    for key in list(suggested):
        if key in required:
            required[key]["ids"].extend(i for i in suggested.pop(key)["ids"]
                                        if i not in required[key]["ids"])
    return list(required.values()), list(suggested.values())


def _screening(rows: list[dict] | None) -> dict:
    if not rows:  # None or []: the screening step has not produced anything to report
        return {"run": False, "rows": [], "open": 0, "confirmed": 0}
    out = []
    for r in rows:
        adj = r.get("adjudication") or None
        if adj:
            verdict = _text(adj.get("verdict"))
            outcome = {"true_match": "Confirmed match", "false_positive": "Cleared: false positive"}.get(
                verdict, humanize(verdict))
        else:
            outcome = "Not yet reviewed"
        score = r.get("score")
        try:
            score_txt = f"{float(score):.0f}" if float(score) > 1 else f"{float(score) * 100:.0f}"
        except (TypeError, ValueError):
            score_txt = _text(score)
        out.append({
            "query": _text(r.get("query")), "role": _text(r.get("role")),
            "list_source": _text(r.get("list_source")), "matched_name": _text(r.get("matched_name")),
            "entry_uid": _text(r.get("entry_uid")), "score": score_txt, "why": _text(r.get("why")),
            "outcome": outcome, "reviewed": bool(adj),
            "adj_note": _text(adj.get("note")) if adj else "",
            "adj_by": _text(adj.get("by")) if adj else "", "adj_at": _text(adj.get("at")) if adj else "",
            "confirmed": bool(adj) and adj.get("verdict") == "true_match",
        })
    return {"run": True, "rows": out, "open": sum(1 for r in out if not r["reviewed"]),
            "confirmed": sum(1 for r in out if r["confirmed"])}


def _intake(document: dict) -> list[dict]:
    """The intake answers as readable sections of (label, value) rows and small tables."""
    d = document or {}

    def row(label, path, fmt=answer):
        return {"label": label, "value": fmt(_get(d, path, _MISSING))}

    city = d.get("city") or {}
    city_txt = ", ".join(x for x in (_text(city.get("name")), _text(city.get("state"))) if x)
    if city.get("population"):
        try:
            city_txt += f" (population {int(city['population']):,})"
        except (TypeError, ValueError):
            pass
    duration = _get(d, "agreement.duration_years", _MISSING)
    duration_txt = ("Open-ended" if duration is None else
                    answer(duration) if duration is _MISSING else f"{duration} years")
    sections = [
        {"heading": "The proposal", "rows": [
            {"label": "Title", "value": _text(d.get("title"))},
            {"label": "City", "value": city_txt or "Not answered"},
            {"label": "Agreement type", "value": AGREEMENT_TYPES.get(
                _text(_get(d, "agreement.type")), answer(_get(d, "agreement.type", _MISSING)))},
            row("Status", "agreement.status"),
            row("Legally binding", "agreement.legally_binding"),
            {"label": "Duration", "value": duration_txt},
            row("Automatic renewal", "agreement.auto_renewal"),
            row("Exit clause", "agreement.exit_clause"),
            row("Sectors", "sectors"),
        ], "text": [("Summary", _text(d.get("summary")))]},
        {"heading": "The partner", "rows": [
            row("Name", "partner.name", _text),
            row("City", "partner.city", _text),
            row("Region", "partner.region", _text),
            {"label": "Country", "value": country_name(_get(d, "partner.country")) or "Not answered"},
            row("Kind of organization", "partner.kind"),
            row("Links to its government", "partner.government_links"),
        ]},
        {"heading": "Funding and gifts", "rows": [
            {"label": "Cost to the city", "value": money(_get(d, "funding.city_cost_usd", _MISSING))},
            {"label": "Partner funding", "value": money(_get(d, "funding.partner_funding_usd", _MISSING))},
            row("Travel paid by the partner", "funding.travel_paid_by_partner"),
            row("Gifts to officials", "funding.gifts_to_officials"),
            row("Federal funds involved", "funding.federal_funds_involved"),
        ]},
        {"heading": "Data and technology", "rows": [
            row("Data sharing", "data_and_technology.data_sharing"),
            row("Technology transfer", "data_and_technology.technology_transfer"),
            row("Equipment or software from the partner",
                "data_and_technology.equipment_or_software_from_partner"),
            {"label": "Vendors", "value": ", ".join(_text(v) for v in
                                                    _get(d, "data_and_technology.vendors") or [])
             or "None named"},
        ]},
        {"heading": "Commitments", "rows": [
            row("UN agendas", "commitments.un_agendas"),
            row("Exclusivity", "commitments.exclusivity"),
            row("Confidentiality", "commitments.confidentiality"),
            row("Political statements requested", "commitments.political_statements"),
            row("Joint communications", "commitments.joint_communications"),
            row("Partner media involvement", "commitments.partner_media_involvement"),
        ]},
        {"heading": "Local context", "rows": [
            row("City ties with Taiwan", "context.city_taiwan_ties"),
            row("City human-rights positions", "context.city_human_rights_positions"),
            row("Diaspora communities", "context.diaspora_communities"),
            {"label": "Months to the next election",
             "value": answer(_get(d, "context.months_to_next_election", _MISSING))},
        ], "text": [("Prior incidents", _text(_get(d, "context.prior_incidents")))]},
    ]
    for section in sections:
        section.setdefault("text", [])
    intermediaries = [
        {"name": _text(i.get("name")), "country": country_name(i.get("country")),
         "kind": humanize(i.get("kind")), "role": _text(i.get("role"))}
        for i in d.get("intermediaries") or [] if isinstance(i, dict)]
    people = [
        {"name": _text(p.get("name")), "role": _text(p.get("role")),
         "affiliation": _text(p.get("affiliation")), "country": country_name(p.get("country"))}
        for p in d.get("people") or [] if isinstance(p, dict)]
    agreement_text = _text(_get(d, "agreement.text"))
    limit = 8000
    return {
        "sections": sections, "intermediaries": intermediaries, "people": people,
        "agreement_text": agreement_text[:limit],
        "agreement_text_truncated": len(agreement_text) > limit,
        "agreement_words": len(agreement_text.split()),
    }


def build_context(document: dict, result: dict, *, status: str = "DRAFT",
                  issued_at: str | None = None, release: dict | None = None,
                  screening: list[dict] | None = None, residual: dict | None = None,
                  conditions: list[str] | None = None, decision: dict | None = None,
                  generated_at: str | None = None, scoring: dict | None = None) -> dict:
    """Everything the template shows, derived from the intake document and assessment result.

    ``scoring`` (optional) is the scoring configuration (``severity_points``, ``effect_weight``,
    ``thresholds``) printed in the methodology section; without it the section explains the
    method in words only.
    """
    document = document or {}
    result = result or {}
    status = (_text(status) or "DRAFT").upper()
    rating = (_text(result.get("rating")) or "low").lower()
    prohibited = bool(result.get("prohibited"))
    findings = sorted((_finding(f) for f in result.get("findings") or [] if isinstance(f, dict)),
                      key=_sort_key)
    bars = [f for f in findings if f["is_bar"]]
    bars_state = [f for f in bars if f["category"] == "legal_state"]
    bars_federal = [f for f in bars if f["category"] == "legal_federal"]

    categories_in = result.get("categories") or {}
    cats = [{"key": k, "label": category_label(k), "score": int(v.get("score") or 0),
             "rating": _text(v.get("rating")) or "low"}
            for k, v in ordered_categories(categories_in)]
    by_cat: dict[str, list[dict]] = {}
    for f in findings:
        if not f["is_bar"]:
            by_cat.setdefault(f["category"], []).append(f)
    cat_info = {c["key"]: c for c in cats}
    order = [c["key"] for c in cats] + sorted(k for k in by_cat if k not in cat_info)
    findings_by_category = [
        {"key": k, "label": category_label(k), "score": cat_info.get(k, {}).get("score"),
         "rating": cat_info.get(k, {}).get("rating"), "findings": by_cat[k]}
        for k in order if k in by_cat]

    required, suggested = _actions(findings)
    open_questions = [_text(q) for q in result.get("open_questions") or []]
    residual_ctx = None
    if residual:
        by_id = {f["id"]: f for f in findings}
        residual_ctx = {
            "rating": (_text(residual.get("rating")) or rating).lower(),
            "mitigated": [{"finding_id": _text(m.get("finding_id")),
                           "title": by_id.get(_text(m.get("finding_id")), {}).get("title", ""),
                           "mitigation": _text(m.get("mitigation")), "note": _text(m.get("note"))}
                          for m in residual.get("mitigated") or [] if isinstance(m, dict)],
        }
    release = release or {}
    title = _text(document.get("title")) or "Untitled proposal"
    city = document.get("city") or {}
    city_name = ", ".join(x for x in (_text(city.get("name")), _text(city.get("state"))) if x)
    generated = generated_at or _today()
    decision_ctx = None
    if decision:
        decision_ctx = {
            "outcome_label": humanize(decision.get("outcome") or decision.get("verdict") or "")
            or "Recorded",
            "date": _text(decision.get("date") or decision.get("at")),
            "by": _text(decision.get("by")),
            "note": _text(decision.get("note")),
        }
    return {
        "lang": "en",
        "title": title,
        "doc_title": f"Staff report: {title}",
        "status": status,
        "status_label": STATUS_LABELS.get(status, humanize(status.lower())),
        "is_draft": status != "ISSUED",
        "issued_at": _text(issued_at) or None,
        "generated_at": generated,
        "city_name": city_name,
        "office": f"{_text(city.get('name')) or 'City'} International Office",
        "partner_name": _text(_get(document, "partner.name")),
        "partner_country": country_name(_get(document, "partner.country")),
        "agreement_type": AGREEMENT_TYPES.get(_text(_get(document, "agreement.type")),
                                              humanize(_get(document, "agreement.type"))),
        "summary": _text(document.get("summary")),
        "rating": rating,
        "prohibited": prohibited,
        "score": result.get("score", 0),
        "recommendation": _recommendation(rating, prohibited, findings, open_questions,
                                          residual_ctx),
        "categories": cats,
        "chart_svg": category_chart_svg(categories_in) if cats else None,
        "chart_text": chart_text(categories_in),
        "bars_state": bars_state,
        "bars_federal": bars_federal,
        "findings_by_category": findings_by_category,
        "finding_count": len(findings),
        "count_by_effect": {e: sum(1 for f in findings if f["effect"] == e) for e in EFFECT_ORDER},
        "required_actions": required,
        "suggested_conditions": suggested,
        "conditions": [_text(c) for c in conditions or [] if _text(c).strip()],
        "residual": residual_ctx,
        "open_questions": open_questions,
        "screening": _screening(screening),
        "intake": _intake(document),
        "release": {"hash": _text(release.get("hash") or result.get("checklist_release")),
                    "created_at": _text(release.get("created_at")) or None,
                    "note": _text(release.get("note")) or None},
        "assessed_at": _text(result.get("assessed_at")) or generated,
        "scoring": scoring or None,
        "scoring_defaults": scoring is None,
        "scoring_shown": scoring or DEFAULT_SCORING,
        "decision": decision_ctx,
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
    env.filters["humanize"] = humanize
    return env


def render_html(context: dict) -> str:
    return _environment().get_template(TEMPLATE_NAME).render(**context)


# ---------------------------------------------------------------------------------------------
# PDF

_render_lock = threading.Lock()


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


def render_pdf(html: str, *, fetcher: SafeFetcher | None = None) -> bytes:
    """Render report HTML to PDF bytes (PDF/UA-1). Pass ``fetcher`` to inspect what was refused."""
    from weasyprint import HTML

    font_config, css = _resources()
    fetcher = fetcher if fetcher is not None else SafeFetcher()
    with _render_lock:  # WeasyPrint is not documented as thread-safe; the font config is shared
        return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(
            stylesheets=[css], font_config=font_config, **PDF_OPTIONS)


def render_report(document: dict, result: dict, **kw) -> bytes:
    """build_context -> render_html -> render_pdf."""
    return render_pdf(render_html(build_context(document, result, **kw)))
