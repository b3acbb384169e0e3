"""The scoring engine: facts and a checklist release in, a result out.

Pure by design: it imports nothing from Flask or the database, so the CLI, the web app, tests and
benchmarks all call the same function. ``score`` is deterministic for a given document, release
and assessment date, which is what makes an old assessment reproducible.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping

from riskdesk.engine.checklists.conditions import as_facts
from riskdesk.engine.checklists.loader import Release
from riskdesk.engine.checklists.model import CATEGORIES, SEVERITIES, Scoring
from riskdesk.engine.labels import field_phrase

RATINGS: tuple[str, ...] = SEVERITIES  # low < moderate < high < critical


@dataclass(frozen=True)
class Finding:
    id: str
    category: str
    effect: str
    severity: str
    title: str
    rationale: str
    because: tuple[str, ...]
    citations: tuple[dict, ...]
    mitigations: tuple[str, ...]
    jurisdiction: str | None = None
    bars: str = "agreement"  # for a prohibition: what it bars (the agreement, or only federal funds)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["because"] = list(self.because)
        data["citations"] = [dict(c) for c in self.citations]
        data["mitigations"] = list(self.mitigations)
        return data


@dataclass(frozen=True)
class Undetermined:
    """An item that could not be decided because an answer it needs is ``unknown``."""

    id: str
    title: str
    effect: str
    severity: str
    missing: tuple[str, ...]
    question: str

    def to_dict(self) -> dict:
        return {**asdict(self), "missing": list(self.missing)}


@dataclass(frozen=True)
class Result:
    rating: str
    prohibited: bool
    score: float
    categories: dict[str, dict]
    findings: tuple[Finding, ...]
    open_questions: tuple[str, ...]
    undetermined: tuple[Undetermined, ...]
    checklist_release: str
    assessed_on: str = field(default="")
    state_law: dict = field(default_factory=dict)
    open_fields: tuple[dict, ...] = ()  # each unanswered field with its questions (see ``open_fields``)

    def to_dict(self) -> dict:
        return {
            "rating": self.rating,
            "prohibited": self.prohibited,
            "score": self.score,
            "categories": self.categories,
            "findings": [f.to_dict() for f in self.findings],
            "open_questions": list(self.open_questions),
            "undetermined": [u.to_dict() for u in self.undetermined],
            "open_fields": list(self.open_fields),
            "checklist_release": self.checklist_release,
            "assessed_on": self.assessed_on,
            "state_law": dict(self.state_law),
        }


def band(points: float, thresholds) -> str:
    for name in ("critical", "high", "moderate"):
        if points >= getattr(thresholds, name):
            return name
    return "low"


def higher(*ratings: str) -> str:
    return max(ratings, key=RATINGS.index)


def _key_fields(finding: Mapping | Finding) -> tuple[str, str, str]:
    if isinstance(finding, dict):
        return finding["category"], finding["severity"], finding["effect"]
    return finding.category, finding.severity, finding.effect


def rate(findings: Iterable[Mapping | Finding], scoring: Scoring) -> dict:
    """Overall and per-category rating of a set of findings (dicts or Finding objects).

    Monotone: every term is a sum of non-negative points or a maximum, so adding a finding can only
    keep or raise each rating. Also used for the *residual* rating (findings left after accepted
    mitigations).
    """
    per_category = dict.fromkeys(CATEGORIES, 0.0)
    overall = "low"
    prohibited = False
    points_of, weight_of, floors = scoring.severity_points, scoring.effect_weight, scoring.severity_floor
    for finding in findings:
        category, severity, effect = _key_fields(finding)
        per_category[category] += points_of[severity] * weight_of[effect]
        floor = floors.get(severity)
        if floor:
            overall = higher(overall, floor)
        if effect == "prohibition":
            prohibited = True
            overall = higher(overall, scoring.prohibition_rating)
    categories = {
        c: {"score": round(points, 2), "rating": band(points, scoring.category_thresholds)}
        for c, points in per_category.items()
    }
    total = round(sum(per_category.values()), 2)
    overall = higher(overall, band(total, scoring.overall_thresholds),
                     *(c["rating"] for c in categories.values()))
    return {"rating": overall, "prohibited": prohibited, "score": total, "categories": categories}


def _question(item, missing: tuple[str, ...]) -> str:
    return item.question or _plain_question(item, missing)


def _plain_question(item, missing: tuple[str, ...]) -> str:
    fields = " and ".join(f"\u201c{field_phrase(path)}\u201d" for path in missing)
    return f"Answer {fields} to decide: {item.title}"


def state_law_status(release: Release, state: str) -> dict:
    """What the release knows about the city's state law: its packs, or what the survey found.

    ``status`` is ``law_encoded`` (a pack applies), ``bills_only`` or ``no_law_found`` (surveyed, no
    enacted restricting law found), or ``not_surveyed``.
    """
    packs = sorted(name for name, pack in release.packs.items() if pack.jurisdiction == f"US-{state}")
    survey = release.survey
    record = survey.states.get(state) if survey else None
    surveyed_on = survey.surveyed_on.isoformat() if survey and record and record.status != "not_surveyed" else None
    status = "law_encoded" if packs else (record.status if record else "not_surveyed")
    return {"state": state, "status": status, "surveyed_on": surveyed_on, "packs": packs,
            "note": _state_law_note(status, record, surveyed_on)}


def _state_law_note(status: str, record, surveyed_on: str | None) -> str:
    found = record.found.strip().rstrip(".") if record else ""
    if status == "law_encoded":
        return (f"State law is checked by this release: {found}." if found
                else "State law is checked by this release.")
    if status in ("bills_only", "no_law_found"):
        note = (f"Surveyed on {surveyed_on}: no enacted law restricting these ties was found in the sources "
                "consulted (absence of evidence, not a verified negative).")
        return note + (f" Bills or other laws seen: {found}." if found else "")
    extra = f" {record.note.strip()}" if record and record.note else ""
    return "State law was not surveyed for this jurisdiction; the city attorney should check it." + extra


EFFECT_RANK = {"prohibition": 0, "requirement": 1, "risk": 2, "gap": 3}


def _weight_order(item) -> tuple:
    return EFFECT_RANK[item.effect], -SEVERITIES.index(item.severity)


def question_plan(pending: list[tuple]) -> list[tuple[str, tuple[str, ...]]]:
    """One question per unanswered field, most weighty first, never about a field already answered.

    ``pending`` holds (item, missing fields) for every undetermined item. An item's own question
    asks about its ``askable`` fields (``asks`` in the YAML, else every answerable field it reads);
    it is used only while all of them are still unanswered, so it never asks about an answered one.
    Among such items the most precise (fewest fields) wins, and each field is asked once. Other
    fields get a plain question. Returns (question, the unanswered fields it asks about) pairs.
    """
    pending = sorted(pending, key=lambda p: _weight_order(p[0]))
    needed: dict[str, list[tuple]] = {}
    for item, missing in pending:
        for name in missing:
            needed.setdefault(name, []).append((item, missing))
    covered: set[str] = set()
    plan: list[tuple[str, tuple[str, ...]]] = []
    for name, candidates in needed.items():
        if name in covered:
            continue
        own = [item for item, missing in candidates
               if item.question and name in item.askable and item.askable <= set(missing)
               and not covered & item.askable]
        if own:
            item = min(own, key=lambda i: len(i.askable))
            fields = tuple(f for f in needed if f in item.askable and f not in covered)
            covered.update(item.askable)
            plan.append((item.question, fields))
        else:
            covered.add(name)
            plan.append((_plain_question(candidates[0][0], (name,)), (name,)))
    return plan


def open_fields(pairs: Iterable[tuple[str, Iterable[str]]]) -> list[dict]:
    """Each unanswered field with the questions that ask about it, from (question, fields) pairs.

    In question order; the proposal page answers each field in place (result key ``open_fields``).
    """
    by_field: dict[str, list[str]] = {}
    for question, fields in pairs:
        for path in fields:
            questions = by_field.setdefault(path, [])
            if question not in questions:
                questions.append(question)
    return [{"field": path, "questions": questions} for path, questions in by_field.items()]


def screening_findings(hits: Iterable[Mapping], scoring: Scoring) -> list[Finding]:
    """Turn unadjudicated screening hits into findings that require adjudication."""
    findings = []
    for hit in hits:
        findings.append(Finding(
            id=f"SCREEN-{hit['entry_uid']}",
            category="legal_federal",
            effect="requirement",
            severity=scoring.screening_severity,
            title=f"Potential list match for {hit['query']}: requires adjudication",
            rationale=(
                f"{hit.get('role', 'A counterpart')} {hit['query']!r} resembles {hit['matched_name']!r} on "
                f"{hit['list_source']} (score {hit['score']:.0f}). {hit.get('why', '')} A person must decide "
                "whether this is the listed party before the city proceeds."
            ).strip(),
            because=(f"{hit['query']} resembles {hit['matched_name']} on {hit['list_source']} "
                     f"(similarity {hit['score']:.0f} of 100)",),
            citations=tuple(hit.get("citations", ())),
            mitigations=("Adjudicate the match (true match or false positive) with a documented note before signing.",),
        ))
    return findings


def score(facts: Mapping, release: Release, on: dt.date | None = None, screening: Iterable[Mapping] = ()) -> Result:
    """Apply every checklist item in force on ``on`` for the city's state to ``facts``.

    ``facts`` is a validated, normalised intake document. ``screening`` is a list of unadjudicated
    name-screening hits (dicts with query, role, matched_name, list_source, entry_uid, score, why).
    """
    on = on or dt.date.today()
    facts = as_facts(facts)
    state = str((facts.document.get("city") or {}).get("state", ""))
    findings: list[Finding] = []
    undetermined: list[Undetermined] = []
    pending: list[tuple] = []
    for item in release.items:
        if not item.applies(state, on):
            continue
        if item.condition.truth(facts) is False:
            continue  # the common case: no explanation needed
        outcome = item.condition.explain(facts)
        if outcome.truth is True:
            findings.append(Finding(
                id=item.id, category=item.category, effect=item.effect, severity=item.severity,
                title=item.title, rationale=item.rationale, because=tuple(dict.fromkeys(outcome.reasons)),
                citations=item.citation_data, mitigations=item.mitigations, jurisdiction=item.jurisdiction,
                bars=item.bars,
            ))
        else:
            pending.append((item, outcome.unknown))
            undetermined.append(Undetermined(
                id=item.id, title=item.title, effect=item.effect, severity=item.severity,
                missing=outcome.unknown, question=_question(item, outcome.unknown),
            ))
    findings.extend(screening_findings(screening, release.scoring))
    rated = rate(findings, release.scoring)
    plan = question_plan(pending)
    return Result(
        rating=rated["rating"], prohibited=rated["prohibited"], score=rated["score"],
        categories=rated["categories"], findings=tuple(findings),
        open_questions=tuple(dict.fromkeys(question for question, _fields in plan)),
        open_fields=tuple(open_fields(plan)),
        undetermined=tuple(undetermined), checklist_release=release.hash, assessed_on=on.isoformat(),
        state_law=state_law_status(release, state),
    )


def scoring_summary(scoring: Scoring) -> dict:
    """The rating rules as plain data, for the report's methodology section."""
    return {
        "severity_points": dict(scoring.severity_points),
        "effect_weight": dict(scoring.effect_weight),
        "thresholds": scoring.overall_thresholds.model_dump(),
        "category_thresholds": scoring.category_thresholds.model_dump(),
        "severity_floor": dict(scoring.severity_floor),
        "description": scoring.description,
    }


def compare(old: dict, new: dict) -> dict:
    """What changed between two results: new, gone and changed findings, and the ratings."""
    before = {f["id"]: f for f in old.get("findings", [])}
    after = {f["id"]: f for f in new.get("findings", [])}
    changed = [
        {"id": k, "before": before[k], "after": after[k]}
        for k in before.keys() & after.keys()
        if (before[k]["severity"], before[k]["effect"], before[k]["because"]) !=
           (after[k]["severity"], after[k]["effect"], after[k]["because"])
    ]
    return {
        "rating": (old.get("rating"), new.get("rating")),
        "prohibited": (old.get("prohibited"), new.get("prohibited")),
        "new": [after[k] for k in after.keys() - before.keys()],
        "gone": [before[k] for k in before.keys() - after.keys()],
        "changed": sorted(changed, key=lambda c: c["id"]),
    }


def residual(result: dict, mitigated_ids: set[str], scoring: Scoring) -> dict:
    """The rating once accepted mitigations take their findings out (prohibitions never drop out)."""
    remaining = [f for f in result["findings"] if f["id"] not in mitigated_ids or f["effect"] == "prohibition"]
    return rate(remaining, scoring)
