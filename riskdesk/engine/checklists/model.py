"""Pydantic models of the checklist files (see docs/checklist-format.md).

These validate shape only; the loader then checks meaning (field paths, list names, operator and
field-kind fit) against the intake schema.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

CATEGORIES = (
    "foreign_interference", "disinformation", "economic_security", "legal_state",
    "legal_federal", "governance", "human_rights", "data_protection",
)
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Effect = Literal["prohibition", "risk", "requirement", "gap"]
Severity = Literal["low", "moderate", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "moderate", "high", "critical")
Confidence = Literal["high", "medium", "low"]
Scalar = Union[str, int, float, bool]

OPERATORS = (
    "equals", "not_equals", "in", "not_in", "in_list", "contains_any", "is_unknown", "is_blank",
    "gte", "lte", "gt", "lt", "mentions", "mentions_list",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldTest(Strict):
    field: str
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in", min_length=1)
    not_in: list[Scalar] | None = Field(None, min_length=1)
    in_list: str | None = None
    contains_any: list[Scalar] | None = Field(None, min_length=1)
    is_unknown: Literal[True] | None = None
    is_blank: Literal[True] | None = None
    gte: float | None = None
    lte: float | None = None
    gt: float | None = None
    lt: float | None = None
    mentions: list[Annotated[str, Field(min_length=2)]] | None = Field(None, min_length=1)
    mentions_list: str | None = None
    case_sensitive: bool = False

    @model_validator(mode="after")
    def exactly_one_operator(self) -> FieldTest:
        used = self.operators()
        if len(used) != 1:
            raise ValueError(
                f"a field test needs exactly one operator (one of: {', '.join(OPERATORS)}); found "
                + (", ".join(used) if used else "none")
            )
        if self.case_sensitive and used[0] != "mentions":
            raise ValueError("case_sensitive applies to 'mentions' only (lists mark acronyms with 'acronyms')")
        return self

    def operators(self) -> list[str]:
        return [op for op in OPERATORS if getattr(self, "in_" if op == "in" else op) is not None]

    @property
    def operator(self) -> str:
        return self.operators()[0]

    @property
    def operand(self) -> Any:
        return getattr(self, "in_" if self.operator == "in" else self.operator)


class AllOf(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Condition] = Field(min_length=1)


class NotOf(Strict):
    not_: Condition = Field(alias="not")


def _node_kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return key
        return "test"
    if isinstance(value, BaseModel):
        return {AllOf: "all", AnyOf: "any", NotOf: "not"}.get(type(value), "test")
    return "test"


Condition = Annotated[
    Union[
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[NotOf, Tag("not")],
        Annotated[FieldTest, Tag("test")],
    ],
    Discriminator(_node_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


class Citation(Strict):
    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")
    verified: dt.date
    confidence: Confidence = "medium"
    note: str = ""


class Effective(Strict):
    from_: dt.date | None = Field(None, alias="from")
    until: dt.date | None = None


JURISDICTION_PATTERN = r"^US(-[A-Z]{2})?$"


class Item(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,79}$")
    category: Category
    effect: Effect
    severity: Severity
    title: str = Field(min_length=5, max_length=200)
    when: Condition
    rationale: str = Field(min_length=10)
    question: str = ""
    asks: list[str] = []
    mitigations: list[str] = []
    citations: list[Citation] = []
    jurisdiction: str | None = Field(None, pattern=JURISDICTION_PATTERN)
    effective: Effective | None = None

    @model_validator(mode="after")
    def legal_items_are_cited(self) -> Item:
        if self.category in ("legal_state", "legal_federal") and not self.citations:
            raise ValueError("a legal item needs at least one citation with a verified date")
        if self.effect == "prohibition" and not any(c.confidence == "high" for c in self.citations):
            raise ValueError(
                "a prohibition needs a citation with confidence: high; use effect: requirement "
                "and state the uncertainty"
            )
        return self


class Pack(Strict):
    pack: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    title: str
    description: str = ""
    jurisdiction: str | None = Field(None, pattern=JURISDICTION_PATTERN)
    items: list[Item] = Field(min_length=1)


class ListValue(Strict):
    """One listed name. ``aliases`` match case-insensitively; ``acronyms`` ("WHO", "UN") only as
    written, so that the word "who" is not the World Health Organization."""

    value: str = Field(min_length=1)
    label: str = ""
    aliases: list[str] = []
    acronyms: list[Annotated[str, Field(min_length=2, pattern=r"^[A-Z][A-Za-z0-9.&-]+$")]] = []
    note: str = ""
    citation: str = ""
    listed_on: dt.date | None = None
    confidence: Confidence | None = None
    verification: str = ""


class ListSource(Strict):
    title: str
    url: str = Field(pattern=r"^https?://\S+$")
    as_of: dt.date
    verified: dt.date
    note: str = ""


class NamedList(Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    source: ListSource | list[ListSource]
    note: str = ""
    values: list[ListValue] = Field(min_length=1)

    @field_validator("values", mode="before")
    @classmethod
    def bare_values(cls, values: Any) -> Any:
        if isinstance(values, list):
            return [{"value": v} if isinstance(v, (str, int)) else v for v in values]
        return values

    @property
    def sources(self) -> list[ListSource]:
        return self.source if isinstance(self.source, list) else [self.source]

    def label_of(self, value: str) -> str:
        for entry in self.values:
            if entry.value.casefold() == str(value).casefold():
                return entry.label
        return ""


class Bands(Strict):
    moderate: float = Field(gt=0)
    high: float = Field(gt=0)
    critical: float = Field(gt=0)

    @model_validator(mode="after")
    def increasing(self) -> Bands:
        if not self.moderate < self.high < self.critical:
            raise ValueError("thresholds must increase: moderate < high < critical")
        return self


class Scoring(Strict):
    severity_points: dict[Severity, float]
    effect_weight: dict[Effect, float]
    category_thresholds: Bands
    overall_thresholds: Bands
    severity_floor: dict[Severity, Severity] = {}
    prohibition_rating: Severity = "critical"
    screening_severity: Severity = "high"
    description: str = ""

    @field_validator("severity_points", "effect_weight")
    @classmethod
    def complete_and_non_negative(cls, value: dict) -> dict:
        if any(v < 0 for v in value.values()):
            raise ValueError("points and weights must not be negative (the rating must be monotone)")
        return value

    @model_validator(mode="after")
    def every_key_present(self) -> Scoring:
        missing = [s for s in SEVERITIES if s not in self.severity_points]
        missing += [e for e in ("prohibition", "risk", "requirement", "gap") if e not in self.effect_weight]
        if missing:
            raise ValueError(f"missing points or weights for: {', '.join(missing)}")
        return self


STATE_CODES: tuple[str, ...] = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
)
SurveyStatus = Literal["law_encoded", "bills_only", "no_law_found", "not_surveyed"]


class StateRecord(Strict):
    """What the survey found for one state: an enacted law (encoded as a pack), bills only, or nothing."""

    status: SurveyStatus
    found: str = ""
    note: str = ""

    @model_validator(mode="after")
    def says_what_was_found(self) -> StateRecord:
        if self.status in ("law_encoded", "bills_only") and not self.found.strip():
            raise ValueError(f"a {self.status} record must say what was found (the laws or bills seen)")
        return self


class StateSurvey(Strict):
    """The status of state law for every state and DC, so a state without a pack is never silence."""

    surveyed_on: dt.date
    source: str = Field(min_length=3)
    note: str = ""
    states: dict[str, StateRecord]

    @field_validator("states")
    @classmethod
    def every_state(cls, states: dict) -> dict:
        unknown = sorted(set(states) - set(STATE_CODES))
        missing = [c for c in STATE_CODES if c not in states]
        if unknown:
            raise ValueError(f"not a state code: {', '.join(unknown)}")
        if missing:
            raise ValueError(f"every state and DC needs a record; missing: {', '.join(missing)}")
        return states
