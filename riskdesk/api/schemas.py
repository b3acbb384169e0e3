"""The API's request and response bodies as pydantic models; SpecTree turns them into the OpenAPI document.

The intake document is not modelled twice: its schema is the published JSON Schema
(``riskdesk/engine/schema.json``), and the engine validates it, as it does for the pages.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel

from riskdesk.engine.document import SCHEMA_PATH
from riskdesk.engine.screening.importers import FORMATS
from riskdesk.vocabulary import VERDICTS, WORKFLOW_STATUSES


def _in_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored time is UTC, and the API says so (RFC 3339)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


Timestamp = Annotated[dt.datetime, AfterValidator(_in_utc)]


def _published_schema(ref_template: str) -> dict:
    """schema.json with its ``$defs`` references in the form SpecTree lifts into ``components``."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema.pop("$schema", None)
    schema.pop("$id", None)
    text = json.dumps(schema)
    for name in schema.get("$defs", {}):
        text = text.replace(f'"#/$defs/{name}"', json.dumps(ref_template.format(model=name)))
    return json.loads(text)


class IntakeDocument(RootModel[dict[str, Any]]):
    """A proposal's intake document (the published JSON Schema); the engine validates it in full."""

    @classmethod
    def model_json_schema(cls, by_alias: bool = True, ref_template: str = "#/$defs/{model}", *args, **kwargs):
        return copy.deepcopy(_published_schema(ref_template))


class DocumentToCheck(RootModel[dict[str, Any]]):
    """Any JSON object: the validate operation exists to say what is wrong with a document, so it takes invalid ones."""


class FieldProblem(BaseModel):
    path: str = Field(description="Dotted path of the field ('' for the request as a whole).")
    message: str


class ProblemDetail(BaseModel):
    """RFC 9457 problem details, served as application/problem+json."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


class ProposalQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str | None = Field(None, max_length=100, description="Text in the title, partner or city.")
    state: str | None = Field(None, max_length=2)
    country: str | None = Field(None, max_length=2)
    type: str | None = Field(None, max_length=40)
    status: Literal[WORKFLOW_STATUSES] | None = None  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(25, ge=1, le=200)


class ProposalSummary(BaseModel):
    id: int
    title: str
    city_name: str
    city_state: str
    partner_name: str
    partner_country: str
    agreement_type: str
    status: str
    is_complete: bool
    version: int
    updated_at: Timestamp
    rating: str | None = Field(description="Rating of the latest assessment, if any.")


class ProposalList(BaseModel):
    proposals: list[ProposalSummary]
    total: int
    page: int
    pages: int
    per_page: int


class Proposal(ProposalSummary):
    document: dict[str, Any] = Field(description="The intake document, normalised (defaults filled in).")
    conditions: list[str]
    next_statuses: list[str] = Field(description="Statuses the caller may move the proposal to now.")


class DraftFlag(BaseModel):
    model_config = ConfigDict(extra="forbid")
    draft: bool = Field(False, description="Save even if required answers are missing (as the form's 'Save draft').")


class Validation(BaseModel):
    valid: bool
    problems: list[FieldProblem]


class Assessment(BaseModel):
    id: int
    proposal_id: int
    proposal_version: int
    checklist_release: str
    assessed_on: dt.date
    rating: str
    prohibited: bool
    score: float
    stale: bool = Field(description="A newer release is active or the proposal changed since.")
    result: dict[str, Any] = Field(description="The same result JSON as `python -m riskdesk assess`.")


class AssessmentList(BaseModel):
    assessments: list[Assessment]


class Findings(BaseModel):
    assessment_id: int
    findings: list[dict[str, Any]]


class OpenQuestions(BaseModel):
    assessment_id: int
    open_questions: list[str] = Field(description="Answer them by updating the intake document, then assess again.")


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_status: Literal[WORKFLOW_STATUSES]  # type: ignore[valid-type]
    reason: str = Field("", max_length=5000)
    conditions: list[str] = Field(default_factory=list, max_length=50)


class TransitionOut(BaseModel):
    id: int
    from_status: str
    to_status: str
    reason: str
    at: Timestamp
    by: str


class TransitionList(BaseModel):
    status: str
    conditions: list[str]
    next_statuses: list[str]
    transitions: list[TransitionOut]


class MitigationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str = Field(max_length=80)
    mitigation: str = Field(max_length=5000)
    note: str = Field("", max_length=5000)


class MitigationOut(BaseModel):
    id: int
    item_id: str
    mitigation: str
    note: str
    created_at: Timestamp


class MitigationList(BaseModel):
    mitigations: list[MitigationOut]
    residual: dict[str, Any] | None = Field(description="The rating without the mitigated findings.")


class AdjudicationOut(BaseModel):
    verdict: str
    note: str
    by: str
    at: Timestamp


class Hit(BaseModel):
    id: int
    query: str
    role: str
    list_source: str
    matched_name: str
    entry_uid: str
    score: float
    why: str
    adjudication: AdjudicationOut | None


class HitList(BaseModel):
    assessment_id: int | None
    hits: list[Hit]


class AdjudicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal[VERDICTS]  # type: ignore[valid-type]
    note: str = Field(max_length=5000)


class Report(BaseModel):
    id: int
    proposal_id: int
    assessment_id: int
    filename: str
    sha256: str
    issued_at: Timestamp
    download: str = Field(description="Path of the issued PDF (send the same token).")


class ReportList(BaseModel):
    reports: list[Report]


class Snapshot(BaseModel):
    id: int
    format: str
    source: str
    filename: str
    sha256: str
    record_count: int
    active: bool
    imported_at: Timestamp


class SnapshotList(BaseModel):
    snapshots: list[Snapshot]


class SnapshotImport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal[FORMATS]  # type: ignore[valid-type]
    filename: str = Field(min_length=1, max_length=255)
    content: str = Field(description="The list file's text (UTF-8), as published by the list's owner.")


class Release(BaseModel):
    id: int
    hash: str
    item_count: int
    note: str
    active: bool
    created_at: Timestamp
    files: list[str]


class ReleaseList(BaseModel):
    releases: list[Release]


class ReleaseDetail(Release):
    contents: dict[str, str] = Field(description="Every checklist file of the release, by name.")


class ChecklistDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: dict[str, str] = Field(description="Checklist files by name (YAML text), as in checklists/.")


class DraftValidation(BaseModel):
    valid: bool
    hash: str | None
    item_count: int | None
    problems: list[FieldProblem]


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str | None = Field(None, max_length=60, description="Action prefix, e.g. 'proposal.'.")
    actor: str | None = Field(None, max_length=80)
    object_id: str | None = Field(None, max_length=80)
    limit: int = Field(100, ge=1, le=1000)


class AuditEvent(BaseModel):
    id: int
    at: Timestamp
    actor: str
    action: str
    object_type: str
    object_id: str
    summary: str
    before: Any = None
    after: Any = None


class AuditList(BaseModel):
    events: list[AuditEvent]


class ScreenName(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=400)
    kind: Literal["person", "entity"] | None = Field(None, description="Skip list entries of the other kind.")


class ScreenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    names: list[ScreenName] = Field(min_length=1, max_length=500)


class ScreenMatch(BaseModel):
    list_source: str
    entry_uid: str
    listed_name: str
    matched_name: str
    score: float
    why: str
    programs: list[str]


class ScreenResult(BaseModel):
    name: str
    hits: list[ScreenMatch]


class ScreenOut(BaseModel):
    snapshots: list[str] = Field(description="sha256 of every list snapshot the names were screened against.")
    results: list[ScreenResult]
