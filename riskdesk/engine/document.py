"""Load, validate and normalise intake documents against the published JSON Schema.

Validation lists *every* problem with its field path, in plain words, so a city clerk can fix a
file in one pass. Country and state codes are checked against pycountry's ISO 3166 tables.
"""
from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
from jsonschema import Draft202012Validator, FormatChecker

from riskdesk.engine import inputlimits, yamlsafe

SCHEMA_PATH = Path(__file__).with_name("schema.json")
MAX_DOCUMENT_CHARS = 1_000_000  # an intake document is a few kilobytes; this leaves room for long texts


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DocumentError(ValueError):
    """A document that cannot be used; ``problems`` names every bad field."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def state_codes() -> frozenset[str]:
    """USPS codes of the states, DC and the territories (ISO 3166-2:US subdivisions)."""
    return frozenset(s.code.split("-", 1)[1] for s in pycountry.subdivisions.get(country_code="US"))


def _names_of(entry) -> set[str]:
    return {getattr(entry, attr).casefold() for attr in ("name", "common_name", "official_name")
            if getattr(entry, attr, None)}


@cache
def _place_names() -> dict[str, dict[str, str]]:
    """Lower-cased names -> code, for countries and for US states."""
    countries = {name: c.alpha_2 for c in pycountry.countries for name in _names_of(c)}
    states = {s.name.casefold(): s.code.split("-", 1)[1] for s in pycountry.subdivisions.get(country_code="US")}
    return {"country": countries, "state": states}


def code_named(kind: str, text: str) -> str | None:
    """The code whose name is exactly ``text`` (any case): "china" -> "CN"; else None."""
    return _place_names()[kind].get(" ".join(str(text).split()).casefold())


def code_for_name(kind: str, text: str) -> list[str]:
    """Codes a typed name probably means (``kind`` is ``country`` or ``state``): "China" -> ["CN"].

    An exact name first, else names that start with the text, else close spellings; at most three.
    """
    names = _place_names()[kind]
    needle = " ".join(str(text).split()).casefold()
    if not needle:
        return []
    if needle in names:
        return [names[needle]]
    starts = sorted({code for name, code in names.items() if name.startswith(needle)})
    if starts:
        return starts[:3]
    close = difflib.get_close_matches(needle, list(names), n=3, cutoff=0.75)
    return list(dict.fromkeys(names[name] for name in close))


def did_you_mean(kind: str, text: str) -> str:
    """`` — did you mean CN (China)?`` for a name typed where a code belongs, else ``""``."""
    codes = code_for_name(kind, text)
    return f" — did you mean {describe_codes(kind, codes)}?" if codes else ""


def describe_codes(kind: str, codes: list[str]) -> str:
    """``CN (China) or TD (Chad)``."""
    describe = _common_country_name if kind == "country" else state_name
    return " or ".join(f"{code} ({describe(code)})" for code in codes)


def _common_country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or country.name


def state_name(code: str) -> str:
    state = pycountry.subdivisions.get(code=f"US-{code}") if code else None
    return state.name if state else code


_format_checker = FormatChecker()


@_format_checker.checks("iso3166-alpha2")
def _is_country(value: object) -> bool:
    return not isinstance(value, str) or value in country_codes()


@_format_checker.checks("iso3166-alpha2-or-empty")
def _is_country_or_empty(value: object) -> bool:
    return not isinstance(value, str) or value == "" or value in country_codes()


@_format_checker.checks("us-state")
def _is_state(value: object) -> bool:
    return not isinstance(value, str) or value in state_codes()


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=_format_checker)


def _path(error) -> str:
    return ".".join(str(p) for p in error.absolute_path)


def _message(error) -> str:
    value = error.instance
    kind = error.validator
    if kind == "format":
        country = f"{value!r} is not an ISO 3166-1 country code{did_you_mean('country', value)}"
        return {
            "iso3166-alpha2": country,
            "iso3166-alpha2-or-empty": country,
            "us-state": f"{value!r} is not a US state or territory postal code{did_you_mean('state', value)}",
        }.get(error.validator_value, error.message)
    if kind == "enum":
        return f"{value!r} is not one of: {', '.join(map(str, error.validator_value))}"
    if kind == "required":
        missing = error.message.split("'")[1]
        return f"{missing} is required"
    if kind == "additionalProperties":
        return "unknown field(s): " + error.message.split("(")[1].split(" were")[0].split(" was")[0]
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{value!r} is not of type {expected}"
    if kind == "maxLength":
        return f"is too long ({len(value)} characters, at most {error.validator_value})"
    if kind == "minLength":
        return "must not be empty" if error.validator_value == 1 else f"must be at least {error.validator_value} characters"
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return f"{value!r} is out of range (must be {word} {error.validator_value})"
    if kind == "maxItems":
        return f"has too many entries (at most {error.validator_value})"
    if kind == "uniqueItems":
        return "has duplicate entries"
    return error.message


def validate(document: Any) -> list[Problem]:
    """Every problem in ``document``, in document order; an empty list means valid.

    Values breaking an input limit (``inputlimits``: nesting, NaN/Infinity, NUL, lone surrogates) are
    reported first and alone: whatever path they came by (form, import, API), they go no further.
    """
    if not isinstance(document, dict):
        return [Problem("", "the document must be a mapping of fields (YAML or JSON object)")]
    hostile = inputlimits.problems(document)
    if hostile:
        return [Problem(path, reason) for path, reason in hostile]
    problems = []
    for error in _validator().iter_errors(document):
        path = _path(error)
        if error.validator == "required":
            missing = error.message.split("'")[1]
            path = f"{path}.{missing}" if path else missing
            problems.append(Problem(path, "is required"))
            continue
        problems.append(Problem(path, _message(error)))
    problems.sort(key=lambda p: p.path)
    return problems


def _defaults(node: dict) -> Any:
    node = _resolve(node)
    if node.get("type") == "object":
        return {name: _defaults(sub) for name, sub in node["properties"].items() if _has_default(sub)}
    return copy.deepcopy(node.get("default"))


def _has_default(node: dict) -> bool:
    node = _resolve(node)
    return node.get("type") == "object" or "default" in node


def _resolve(node: dict) -> dict:
    if "$ref" in node:
        target = schema()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _fill(value: Any, node: dict) -> Any:
    node = _resolve(node)
    if node.get("type") == "object" and isinstance(value, dict):
        out = {}
        for name, sub in node["properties"].items():
            if name in value:
                out[name] = _fill(value[name], sub)
            elif _has_default(sub):
                out[name] = _defaults(sub)
        return out
    if node.get("type") == "array" and isinstance(value, list) and "items" in node:
        return [_fill(item, node["items"]) for item in value]
    return value


def normalize(document: dict) -> dict:
    """The document with every optional field present (defaults filled), in schema order.

    The normalised form is what the database stores, what export writes and what the engine reads,
    so import → export round-trips exactly.
    """
    return _fill(document, schema())


def parse_text(text: str, filename: str = "") -> Any:
    """Parse YAML or JSON text (JSON is YAML, but JSON errors read better from the json module).

    The size is checked before parsing, nesting before building the tree (``inputlimits``).
    """
    if len(text) > MAX_DOCUMENT_CHARS:
        raise DocumentError([Problem("", f"the document is larger than {MAX_DOCUMENT_CHARS // 1_000_000} MB; "
                                         "it was not read")])
    if filename.lower().endswith(".json"):
        try:
            return inputlimits.loads_json(text)
        except inputlimits.InputLimitError as exc:
            raise DocumentError([Problem(exc.path, f"not accepted: {exc.reason}"
                                         + (f" (line {exc.line})" if exc.line else ""))]) from None
        except json.JSONDecodeError as exc:
            raise DocumentError([Problem("", f"not valid JSON: line {exc.lineno}: {exc.msg}")]) from exc
    try:
        return yamlsafe.load(text, max_chars=MAX_DOCUMENT_CHARS)
    except yamlsafe.YAMLInputError as exc:
        if exc.path:
            raise DocumentError([Problem(exc.path, f"not accepted: {exc.reason}")]) from exc
        raise DocumentError([Problem("", f"not valid YAML: {exc}")]) from exc


def load_document(text: str, filename: str = "") -> dict:
    """Parse, validate and normalise; raise DocumentError listing every problem."""
    data = parse_text(text, filename)
    problems = validate(data)
    if problems:
        raise DocumentError(problems)
    return normalize(data)


def load_path(path: str | Path) -> dict:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError([Problem("", f"cannot read {path}: {exc}")]) from exc
    return load_document(text, path.name)


def dump_yaml(document: dict) -> str:
    return yamlsafe.dump(document)


@dataclass(frozen=True)
class FieldInfo:
    """What the checklist loader needs to know about one field path."""

    path: str
    kind: str  # tristate | enum | text | string | country | number | list
    values: tuple[str, ...] = ()
    repeated: bool = False  # inside a repeated row (people, intermediaries): tests match any row


@cache
def field_registry() -> dict[str, FieldInfo]:
    registry: dict[str, FieldInfo] = {}

    def walk(node: dict, prefix: str, repeated: bool) -> None:
        node = _resolve(node)
        kind = node.get("type")
        if kind == "object":
            for name, sub in node["properties"].items():
                walk(sub, f"{prefix}.{name}" if prefix else name, repeated)
            return
        if kind == "array":
            items = _resolve(node["items"])
            if items.get("type") == "object":
                walk(items, prefix, True)
            else:
                registry[prefix] = FieldInfo(prefix, "list", tuple(items.get("enum", ())), repeated)
            return
        if "enum" in node:
            field_kind = "tristate" if set(node["enum"]) == {"yes", "no", "unknown"} else "enum"
            registry[prefix] = FieldInfo(prefix, field_kind, tuple(node["enum"]), repeated)
        elif node.get("format", "").startswith("iso3166"):
            registry[prefix] = FieldInfo(prefix, "country", (), repeated)
        elif kind in ("number", "integer") or (isinstance(kind, list) and ("number" in kind or "integer" in kind)):
            registry[prefix] = FieldInfo(prefix, "number", (), repeated)
        else:
            long_text = node.get("maxLength", 0) > 200
            registry[prefix] = FieldInfo(prefix, "text" if long_text else "string", (), repeated)

    walk(schema(), "", False)
    return registry
