"""Load checklist files into an immutable, content-hashed release — or refuse with reasons.

Every problem is reported as (file, line, reason). A release is built from a mapping of
relative file names to their text, so the same code loads the working tree, a release stored in
the database, and an administrator's draft edit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from pydantic import ValidationError

from riskdesk.engine import yamlsafe
from riskdesk.engine.checklists.conditions import Node, compile_condition
from riskdesk.engine.checklists.model import (
    AllOf,
    AnyOf,
    Citation,
    FieldTest,
    NamedList,
    NotOf,
    Pack,
    Scoring,
    StateSurvey,
)
from riskdesk.engine.document import field_registry

SCORING_FILE = "scoring.yaml"
SURVEY_FILE = "state_survey.yaml"
LISTS_DIR = "lists/"
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


class ChecklistError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass(frozen=True, eq=False)
class CompiledItem:
    """A checklist item ready to evaluate; its ``condition`` is compiled once per release."""

    id: str
    pack: str
    file: str
    category: str
    effect: str
    severity: str
    title: str
    rationale: str
    question: str
    mitigations: tuple[str, ...]
    citations: tuple[Citation, ...]
    jurisdiction: str | None
    effective_from: dt.date | None
    effective_until: dt.date | None
    condition: Node = field(repr=False, compare=False)
    askable: frozenset[str] = frozenset()

    @cached_property
    def citation_data(self) -> tuple[dict, ...]:
        """Citations as the plain dicts a result carries (built once per release, not per finding)."""
        return tuple(
            {"title": c.title, "url": c.url, "verified": c.verified.isoformat(), "confidence": c.confidence,
             **({"note": c.note} if c.note else {})}
            for c in self.citations
        )

    def applies(self, state: str, on: dt.date) -> bool:
        if self.jurisdiction and self.jurisdiction != "US" and self.jurisdiction != f"US-{state}":
            return False
        if self.effective_from and on < self.effective_from:
            return False
        if self.effective_until and on > self.effective_until:
            return False
        return True


@dataclass(frozen=True)
class Release:
    hash: str
    files: Mapping[str, str]
    items: tuple[CompiledItem, ...]
    lists: Mapping[str, NamedList]
    scoring: Scoring
    packs: Mapping[str, Pack]
    survey: StateSurvey | None = None

    @property
    def short_hash(self) -> str:
        return self.hash[:12]


def content_hash(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()


def read_directory(directory: str | Path) -> dict[str, str]:
    """The checklist files under ``directory`` as {relative posix path: text}."""
    root = Path(directory)
    if not root.is_dir():
        raise ChecklistError([Problem(str(root), None, "not a directory")])
    files: dict[str, str] = {}
    problems: list[Problem] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in (".yaml", ".yml"):
            continue
        name = path.relative_to(root).as_posix()
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(name, None, f"file is larger than {MAX_FILE_BYTES} bytes"))
            continue
        try:
            files[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, None, f"not UTF-8 text ({exc.reason})"))
    if problems:
        raise ChecklistError(problems)
    return files


def load_release(directory: str | Path = "checklists") -> Release:
    return build_release(read_directory(directory))


def _pydantic_problems(name: str, text: str, exc: ValidationError, prefix: tuple = ()) -> list[Problem]:
    lines = yamlsafe.line_map(text)
    problems = []
    for error in exc.errors():
        loc = prefix + tuple(part for part in error["loc"])
        shown = ".".join(str(p) for p in loc if p not in ("all", "any", "not", "test") or p in error["loc"][-1:])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
        elif error["type"] == "literal_error":
            message = f"{error['input']!r} is not allowed; {message[0].lower()}{message[1:]}"
        problems.append(Problem(name, yamlsafe.nearest_line(lines, loc), f"{shown}: {message}"))
    return problems


def _iter_tests(node, path: tuple):
    if isinstance(node, AllOf):
        for i, child in enumerate(node.all):
            yield from _iter_tests(child, path + ("all", i))
    elif isinstance(node, AnyOf):
        for i, child in enumerate(node.any):
            yield from _iter_tests(child, path + ("any", i))
    elif isinstance(node, NotOf):
        yield from _iter_tests(node.not_, path + ("not",))
    else:
        yield node, path


def _field_problem(test: FieldTest, fields: Mapping) -> str | None:
    close = [f for f in fields if f.split(".")[-1] == test.field.split(".")[-1]]
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"unknown field {test.field!r}{hint}; see docs/intake.md for field paths"


def _operator_problem(test: FieldTest, info, lists: Mapping[str, NamedList]) -> str | None:
    op, operand = test.operator, test.operand
    if op in ("in_list", "mentions_list") and operand not in lists:
        return f"unknown list {operand!r}; known lists: {', '.join(sorted(lists)) or 'none'}"
    if op in ("gte", "lte", "gt", "lt") and info.kind != "number":
        return f"operator {op!r} needs a number field, but {test.field} is {info.kind}"
    if op in ("mentions", "mentions_list") and info.kind not in ("text", "string", "list"):
        return f"operator {op!r} needs a text field, but {test.field} is {info.kind}"
    if op == "is_unknown" and "unknown" not in info.values:
        return f"{test.field} cannot be unknown (it is {info.kind}); use is_blank"
    if op == "contains_any" and info.kind != "list" and not info.repeated:
        return f"operator 'contains_any' needs a list field, but {test.field} is {info.kind}; use 'in'"
    return None


def _value_problem(test: FieldTest, info) -> str | None:
    op, operand = test.operator, test.operand
    if info.values and op in ("equals", "not_equals", "in", "not_in", "contains_any"):
        wanted = [operand] if op in ("equals", "not_equals") else operand
        bad = [v for v in wanted if v not in info.values]
        if bad:
            return f"{', '.join(map(repr, bad))} is not a value of {test.field} (one of: {', '.join(info.values)})"
    return None


def _check_test(test: FieldTest, lists: Mapping[str, NamedList]) -> str | None:
    """The reason a field test does not fit the intake schema, or None."""
    fields = field_registry()
    info = fields.get(test.field)
    if info is None:
        return _field_problem(test, fields)
    return _operator_problem(test, info, lists) or _value_problem(test, info)


def _parse_files(files: Mapping[str, str], problems: list[Problem]) -> dict[str, object]:
    parsed: dict[str, object] = {}
    for name, text in sorted(files.items()):
        if len(text.encode()) > MAX_FILE_BYTES:
            problems.append(Problem(name, None, f"file is larger than {MAX_FILE_BYTES} bytes"))
            continue
        try:
            data = yamlsafe.load(text)
        except yamlsafe.YAMLInputError as exc:
            problems.append(Problem(name, exc.line, f"YAML syntax: {exc.reason}"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(name, 1, "the file must be a YAML mapping"))
            continue
        parsed[name] = data
    return parsed


def _load_lists(files, parsed, problems: list[Problem]) -> dict[str, NamedList]:
    lists: dict[str, NamedList] = {}
    list_files: dict[str, str] = {}
    for name, data in parsed.items():
        if not name.startswith(LISTS_DIR):
            continue
        try:
            named = NamedList.model_validate(data)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(name, files[name], exc))
            continue
        if named.name in lists:
            problems.append(Problem(name, yamlsafe.nearest_line(yamlsafe.line_map(files[name]), ("name",)),
                                    f"duplicate list name {named.name!r} (also in {list_files[named.name]})"))
            continue
        lists[named.name] = named
        list_files[named.name] = name
    return lists


def _load_model(name: str, model, files, parsed, problems: list[Problem]):
    if name not in parsed:
        return None
    try:
        return model.model_validate(parsed[name])
    except ValidationError as exc:
        problems.extend(_pydantic_problems(name, files[name], exc))
        return None


def _item_problems(name: str, item, where: tuple, lines, lists) -> list[Problem]:
    found = []
    for test, path in _iter_tests(item.when, where + ("when",)):
        reason = _check_test(test, lists)
        if reason:
            found.append(Problem(name, yamlsafe.nearest_line(lines, path), f"{item.id}: {reason}"))
    stray = set(item.asks) - _answerable_fields(item, field_registry()) if not found else set()
    if stray:
        found.append(Problem(name, lines.get(where + ("asks",)), f"{item.id}: asks names {', '.join(sorted(stray))}, "
                             "which the condition does not read or which cannot be unknown"))
    effective = item.effective
    if effective and effective.from_ and effective.until and effective.until < effective.from_:
        found.append(Problem(name, lines.get(where + ("effective",)), f"{item.id}: effective 'until' is before 'from'"))
    return found


def _answerable_fields(item, fields) -> frozenset[str]:
    """The fields an item reads that staff can leave unknown: what its question may ask about."""
    return frozenset(test.field for test, _path in _iter_tests(item.when, ()) if "unknown" in fields[test.field].values)


def _compiled_item(item, pack: Pack, name: str, fields, lists) -> CompiledItem:
    effective = item.effective
    return CompiledItem(
        id=item.id, pack=pack.pack, file=name, category=item.category, effect=item.effect,
        severity=item.severity, title=item.title, rationale=item.rationale.strip(),
        question=item.question.strip(), mitigations=tuple(item.mitigations),
        citations=tuple(item.citations), jurisdiction=item.jurisdiction or pack.jurisdiction,
        effective_from=effective.from_ if effective else None,
        effective_until=effective.until if effective else None,
        condition=compile_condition(item.when, fields, lists),
        askable=frozenset(item.asks) or _answerable_fields(item, fields),
    )


def _load_packs(files, parsed, lists, problems: list[Problem]) -> tuple[dict[str, Pack], list[CompiledItem]]:
    packs: dict[str, Pack] = {}
    items: list[CompiledItem] = []
    seen_ids: dict[str, str] = {}
    fields = field_registry()
    for name, data in parsed.items():
        if name.startswith(LISTS_DIR) or name in (SCORING_FILE, SURVEY_FILE):
            continue
        lines = yamlsafe.line_map(files[name])
        pack = _load_model(name, Pack, files, {name: data}, problems)
        if pack is None:
            continue
        if pack.pack in packs:
            problems.append(Problem(name, lines.get(("pack",)), f"duplicate pack name {pack.pack!r}"))
            continue
        packs[pack.pack] = pack
        for index, item in enumerate(pack.items):
            where = ("items", index)
            if item.id in seen_ids:
                problems.append(Problem(name, lines.get(where + ("id",)),
                                        f"duplicate item id {item.id!r} (also in {seen_ids[item.id]})"))
                continue
            seen_ids[item.id] = name
            item_problems = _item_problems(name, item, where, lines, lists)
            if item_problems:
                problems.extend(item_problems)
                continue
            items.append(_compiled_item(item, pack, name, fields, lists))
    return packs, items


def _survey_problems(survey: StateSurvey | None, packs: Mapping[str, Pack]) -> list[Problem]:
    """A state with a pack must be recorded as law_encoded, and a law_encoded state needs a pack."""
    if survey is None:
        return []
    with_pack = {p.jurisdiction[3:] for p in packs.values() if p.jurisdiction and p.jurisdiction.startswith("US-")}
    problems = []
    for code, record in survey.states.items():
        if code in with_pack and record.status != "law_encoded":
            problems.append(Problem(SURVEY_FILE, None, f"{code} has a checklist pack but is recorded as {record.status}"))
        if record.status == "law_encoded" and code not in with_pack:
            problems.append(Problem(SURVEY_FILE, None, f"{code} is recorded as law_encoded but no pack has jurisdiction US-{code}"))
    return problems


def build_release(files: Mapping[str, str]) -> Release:
    """Validate and compile every file; raise ChecklistError listing all problems."""
    problems: list[Problem] = []
    parsed = _parse_files(files, problems)
    if SCORING_FILE not in files:
        problems.append(Problem(SCORING_FILE, None, "missing: the rating rules are required"))
    lists = _load_lists(files, parsed, problems)
    scoring = _load_model(SCORING_FILE, Scoring, files, parsed, problems)
    survey = _load_model(SURVEY_FILE, StateSurvey, files, parsed, problems)
    packs, items = _load_packs(files, parsed, lists, problems)
    problems.extend(_survey_problems(survey, packs))
    if problems:
        raise ChecklistError(problems)
    return Release(
        hash=content_hash(files), files=MappingProxyType(dict(files)), items=tuple(items),
        lists=MappingProxyType(lists), scoring=scoring, packs=MappingProxyType(packs), survey=survey,
    )
