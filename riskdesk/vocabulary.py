"""The one vocabulary: categories, effects, severities, ratings, workflow statuses and roles.

Each is a tuple in its canonical order with a label for people. Pure (no Flask, no database): the
engine, the services, the templates and the report all read it from here.
"""
from __future__ import annotations

from typing import Iterable, Mapping

CATEGORIES = (
    "foreign_interference", "disinformation", "economic_security", "legal_state",
    "legal_federal", "governance", "human_rights", "data_protection",
)
# The order in which people read categories: the law first.
CATEGORY_READING_ORDER = (
    "legal_state", "legal_federal", "foreign_interference", "economic_security",
    "data_protection", "governance", "human_rights", "disinformation",
)
CATEGORY_LABELS = {
    "foreign_interference": "Foreign interference", "disinformation": "Disinformation",
    "economic_security": "Economic security", "legal_state": "State law", "legal_federal": "Federal law",
    "governance": "Governance", "human_rights": "Human rights", "data_protection": "Data protection",
}
LEGAL_CATEGORIES = ("legal_state", "legal_federal")

# Heaviest first.
EFFECTS = ("prohibition", "requirement", "risk", "gap")
EFFECT_LABELS = {"prohibition": "Prohibition", "requirement": "Legal requirement", "risk": "Risk",
                 "gap": "Open question"}
BAR_EFFECTS = ("prohibition", "requirement")

# Lowest first (scores and bands count upwards).
SEVERITIES = ("low", "moderate", "high", "critical")
SEVERITY_LABELS = {"low": "Low", "moderate": "Moderate", "high": "High", "critical": "Critical"}
RATINGS = SEVERITIES
RATING_LABELS = SEVERITY_LABELS

CONFIDENCES = ("high", "medium", "low")

WORKFLOW_STATUSES = (
    "draft", "submitted", "in_review", "approved", "approved_with_conditions", "declined", "withdrawn",
)
STATUS_LABELS = {
    "draft": "Draft", "submitted": "Submitted", "in_review": "In review", "approved": "Approved",
    "approved_with_conditions": "Approved with conditions", "declined": "Declined", "withdrawn": "Withdrawn",
}
AWAITING_DECISION = ("submitted", "in_review")
DECIDED = ("approved", "approved_with_conditions", "declined")
APPROVED = ("approved", "approved_with_conditions")
OPEN_AND_ACTIVE = ("draft", "submitted", "in_review", "approved", "approved_with_conditions")

ROLES = ("staff", "council", "admin")
ROLE_LABELS = {"staff": "Staff", "council": "Council member", "admin": "Administrator"}
# Who may edit proposals, run assessments, issue reports and adjudicate screening hits.
EDITORS = ("staff", "admin")

PARTY_KIND_LABELS = {"partner": "Partner", "intermediary": "Intermediary", "person": "Person", "vendor": "Vendor"}

VERDICTS = ("true_match", "false_positive")
VERDICT_LABELS = {"true_match": "True match", "false_positive": "False positive"}

_ALL_LABELS: Mapping[str, str] = {
    **CATEGORY_LABELS, **EFFECT_LABELS, **SEVERITY_LABELS, **STATUS_LABELS, **ROLE_LABELS, **VERDICT_LABELS,
}


def label(code: str | None) -> str:
    """The label people read for a vocabulary code; an unknown code is shown as itself."""
    if not code:
        return ""
    return _ALL_LABELS.get(code, str(code))


def may_edit(user_roles: Iterable[str]) -> bool:
    return bool(set(user_roles) & set(EDITORS))


def weight_key(finding: Mapping) -> tuple:
    """Sort key: prohibitions first, then requirements, risks, open questions; most severe first."""
    return (EFFECTS.index(finding["effect"]), -SEVERITIES.index(finding["severity"]), finding["id"])


def by_weight(findings: Iterable[Mapping]) -> list:
    return sorted(findings, key=weight_key)


def is_legal_bar(finding: Mapping) -> bool:
    """A finding of the law that bars or conditions the agreement (shown in the legal section)."""
    return finding["category"] in LEGAL_CATEGORIES and finding["effect"] in BAR_EFFECTS
