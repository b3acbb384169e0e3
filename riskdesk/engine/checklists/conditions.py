"""Compile validated condition trees into fast, explainable closures.

Each compiled node answers two questions about one document:

- ``truth(facts)``: the truth in three-valued logic — ``True``, ``False`` or ``None`` for
  *undetermined*, when an answer it needs is ``unknown``. This is the fast path the engine runs for
  every item of a release.
- ``explain(facts)``: the same truth plus the plain-language reasons for it and the unknown fields
  that left it undetermined. The engine asks only for the items that fire or stay undetermined.

Both paths share one ``decide`` function per test, so they cannot disagree. ``Facts`` looks each
field path up once per document. No ``eval``: every operator is a small Python function chosen at
compile time.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, NamedTuple

from riskdesk.engine.checklists.model import AllOf, AnyOf, FieldTest, NamedList, NotOf
from riskdesk.engine.document import FieldInfo, country_name, field_registry
from riskdesk.engine.screening.normalize import name_tokens


class Outcome(NamedTuple):
    truth: bool | None
    reasons: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


def _getter(path: str, info: FieldInfo) -> Callable[[dict], list]:
    """An accessor returning every value at ``path`` (rows of repeated sections each add one)."""
    parts = path.split(".")
    if not info.repeated:
        def get(doc: dict) -> list:
            value = doc
            for part in parts:
                value = value.get(part) if isinstance(value, dict) else None
            return value if isinstance(value, list) else [value]
        return get
    head, rest = parts[0], parts[1:]

    def get_rows(doc: dict) -> list:
        values = []
        for row in doc.get(head) or ():
            value = row
            for part in rest:
                value = value.get(part) if isinstance(value, dict) else None
            values.append(value)
        return values
    return get_rows


@lru_cache(maxsize=1)
def _getters() -> dict[str, Callable[[dict], list]]:
    return {path: _getter(path, info) for path, info in field_registry().items()}


class Facts(dict):
    """The values of one document by field path, each looked up once, on first use."""

    __slots__ = ("document",)

    def __init__(self, document: dict):
        super().__init__()
        self.document = document

    def __missing__(self, path: str) -> list:
        values = _getters()[path](self.document)
        self[path] = values
        return values


def as_facts(document: dict) -> Facts:
    return document if isinstance(document, Facts) else Facts(document)


_country_label = lru_cache(maxsize=512)(country_name)


def _quote(value) -> str:
    return f'"{value}"' if isinstance(value, str) and " " in value else str(value)


def _join(values) -> str:
    return ", ".join(_quote(v) for v in values)


def _phrase_pattern(phrases: list[str], case_sensitive: bool = False) -> re.Pattern:
    parts = sorted({r"\s+".join(map(re.escape, p.split())) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", 0 if case_sensitive else re.IGNORECASE)


def _nonblank(values: list) -> list:
    return [v for v in values if v is not None and v != "" and v != []]


class Node:
    """A compiled condition: ``truth`` for speed, ``explain`` for reasons."""

    def truth(self, facts: Facts) -> bool | None:
        raise NotImplementedError

    def explain(self, facts: Facts) -> Outcome:
        raise NotImplementedError


class All(Node):
    def __init__(self, children: list[Node]):
        self.children = children
        self._truths = [c.truth for c in children]

    def truth(self, facts):
        undetermined = False
        for truth in self._truths:
            value = truth(facts)
            if value is False:
                return False
            if value is None:
                undetermined = True
        return None if undetermined else True

    def explain(self, facts):
        reasons: list[str] = []
        unknown: list[str] = []
        undetermined = False
        for child in self.children:
            out = child.explain(facts)
            if out.truth is False:
                return Outcome(False, out.reasons)
            if out.truth is None:
                undetermined = True
                unknown.extend(out.unknown)
            else:
                reasons.extend(out.reasons)
        if undetermined:
            return Outcome(None, tuple(reasons), tuple(dict.fromkeys(unknown)))
        return Outcome(True, tuple(reasons))


class Any(Node):
    def __init__(self, children: list[Node]):
        self.children = children
        self._truths = [c.truth for c in children]

    def truth(self, facts):
        undetermined = False
        for truth in self._truths:
            value = truth(facts)
            if value is True:
                return True
            if value is None:
                undetermined = True
        return None if undetermined else False

    def explain(self, facts):
        true_reasons: list[str] = []
        false_reasons: list[str] = []
        unknown: list[str] = []
        for child in self.children:
            out = child.explain(facts)
            if out.truth is True:
                true_reasons.extend(out.reasons)
            elif out.truth is None:
                unknown.extend(out.unknown)
            else:
                false_reasons.extend(out.reasons)
        if true_reasons:
            return Outcome(True, tuple(true_reasons))
        if unknown:
            return Outcome(None, (), tuple(dict.fromkeys(unknown)))
        return Outcome(False, tuple(false_reasons))


class Not(Node):
    def __init__(self, child: Node):
        self.child = child

    def truth(self, facts):
        value = self.child.truth(facts)
        return None if value is None else not value

    def explain(self, facts):
        out = self.child.explain(facts)
        return out if out.truth is None else Outcome(not out.truth, out.reasons)


class Test(Node):
    """A field test. ``decide(values) -> (truth, detail)``; ``words(truth, detail, values)`` explains."""

    def __init__(self, path: str, decide, words):
        self.path = path
        self.decide = decide
        self.words = words

    def truth(self, facts):
        return self.decide(facts[self.path])[0]

    def explain(self, facts):
        values = facts[self.path]
        truth, detail = self.decide(values)
        if truth is None:
            return Outcome(None, (), (self.path,))
        return Outcome(truth, self.words(truth, detail, values))


def compile_condition(node, fields: dict[str, FieldInfo], lists: dict[str, NamedList]) -> Node:
    if isinstance(node, AllOf):
        return All([compile_condition(n, fields, lists) for n in node.all])
    if isinstance(node, AnyOf):
        return Any([compile_condition(n, fields, lists) for n in node.any])
    if isinstance(node, NotOf):
        return Not(compile_condition(node.not_, fields, lists))
    return _compile_test(node, fields[node.field], lists)


def _compile_test(test: FieldTest, info: FieldInfo, lists: dict[str, NamedList]) -> Test:
    path = test.field
    op = test.operator
    operand = test.operand
    can_be_unknown = "unknown" in info.values
    if op == "in_list" and is_name_field(info):
        return _compile_name_list(path, lists[operand])

    def shown(value) -> str:
        label = _country_label(value) if info.kind == "country" and isinstance(value, str) and value else ""
        return f"{_quote(value)} ({label})" if label and label != value else _quote(value)

    if op == "is_unknown":
        def decide(values):
            return "unknown" in values, None

        def words(truth, _detail, values):
            if truth:
                return (f"{path} is unknown (not yet answered)",)
            return (f"{path} is answered ({_join(_nonblank(values)) or 'blank'})",)

        return Test(path, decide, words)

    if op == "is_blank":
        def decide(values):
            return not _nonblank(values), None

        def words(truth, _detail, _values):
            return (f"{path} is blank",) if truth else (f"{path} is filled in",)

        return Test(path, decide, words)

    if op in ("gte", "lte", "gt", "lt"):
        compare = {"gte": float.__ge__, "lte": float.__le__, "gt": float.__gt__, "lt": float.__lt__}[op]
        phrase = {"gte": "at least", "lte": "at most", "gt": "more than", "lt": "less than"}[op]
        limit = float(operand)

        def numbers(values):
            return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]

        def decide(values):
            hits = [v for v in numbers(values) if compare(float(v), limit)]
            return bool(hits), hits

        def words(truth, hits, values):
            if truth:
                return (f"{path} is {_join(hits)} ({phrase} {operand:g})",)
            return (f"{path} is {_join(numbers(values)) or 'blank'}, not {phrase} {operand:g}",)

        return Test(path, decide, words)

    if op in ("mentions", "mentions_list"):
        if op == "mentions":
            phrases = list(operand)
            described = f"any of: {_join(phrases)}"
            suffix = ""
        else:
            named = lists[operand]
            phrases = [v.value for v in named.values] + [a for v in named.values for a in v.aliases]
            described = f'a name on the list "{named.title}"'
            suffix = f' (on the list "{named.title}")'
        finditer = _finder(*_split_case(test, lists, phrases))

        def decide(values):
            return any(isinstance(v, str) and v and next(finditer(v), None) for v in values), None

        def words(truth, _detail, values):
            if not truth:
                return (f"{path} does not mention {described}",)
            found = [m.group(0).strip() for v in values if isinstance(v, str) for m in finditer(v)]
            return (f"{path} mentions {_join(dict.fromkeys(found))}{suffix}",)

        return Test(path, decide, words)

    # Membership tests: equals, not_equals, in, not_in, in_list, contains_any.
    if op == "in_list":
        named = lists[operand]
        members = {str(v.value).casefold() for v in named.values}
        members |= {a.casefold() for v in named.values for a in (*v.aliases, *v.acronyms)}

        def yes_text(v) -> str:
            return f'{path} is {shown(v)}, which is on the list "{named.title}"'

        def no_text(values) -> str:
            return f'{path} is {_join(map(shown, values)) or "blank"}, which is not on the list "{named.title}"'
    else:
        expected = [operand] if op in ("equals", "not_equals") else list(operand)
        members = {str(e).casefold() if isinstance(e, str) else e for e in expected}

        if op in ("equals", "not_equals"):
            def yes_text(v) -> str:
                return f"{path} is {shown(v)}"

            def no_text(values) -> str:
                return f"{path} is {_join(map(shown, values)) or 'blank'}, not {shown(operand)}"
        else:
            def yes_text(v) -> str:
                return f"{path} is {shown(v)} (one of: {_join(expected)})"

            def no_text(values) -> str:
                return f"{path} is {_join(map(shown, values)) or 'blank'}, not one of: {_join(expected)}"

    negate = op in ("not_equals", "not_in")

    def member(value) -> bool:
        return value in members or (value.__class__ is str and value.casefold() in members)

    def decide(values):
        hits = [v for v in values if v is not None and v != "" and member(v)]
        if not hits and can_be_unknown and "unknown" in values:
            return None, hits
        return (not hits) if negate else bool(hits), hits

    def words(truth, hits, values):
        if hits:
            return (yes_text(hits[0]),) if negate else tuple(yes_text(v) for v in dict.fromkeys(hits))
        return (no_text(_nonblank(values)),)

    return Test(path, decide, words)


def is_name_field(info: FieldInfo) -> bool:
    """Free-text name fields (partner, intermediary and vendor names): lists match them by name."""
    return info.kind in ("string", "list") and not info.values


def _split_case(test: FieldTest, lists: dict[str, NamedList], phrases: list[str]) -> tuple[list[str], list[str]]:
    """(phrases matched in any case, phrases matched as written): ``case_sensitive`` mentions and
    list acronyms ("WHO", "UN") are matched as written, so the word "who" is not the WHO."""
    if test.operator == "mentions":
        return ([], phrases) if test.case_sensitive else (phrases, [])
    return phrases, [a for v in lists[test.operand].values for a in v.acronyms]


def _finder(phrases: list[str], exact: list[str]):
    """``finditer(text)`` over the phrases (case-insensitive) and the exact phrases (case-sensitive)."""
    patterns = ([_phrase_pattern(phrases)] if phrases else []) + (
        [_phrase_pattern(exact, case_sensitive=True)] if exact else [])

    def finditer(text: str):
        for pattern in patterns:
            yield from pattern.finditer(text)
    return finditer


def _name_entries(named: NamedList) -> tuple[dict[tuple[str, ...], str], dict[str, str]]:
    """Listed names as normalised token sequences, and acronyms as written, each to its listed value."""
    sequences: dict[tuple[str, ...], str] = {}
    for entry in named.values:
        for name in (entry.value, *entry.aliases):
            tokens = name_tokens(name)
            if tokens:
                sequences.setdefault(tokens, entry.value)
    acronyms = {a: entry.value for entry in named.values for a in entry.acronyms}
    return sequences, acronyms


def _contains_sequence(tokens: tuple[str, ...], sequence: tuple[str, ...]) -> bool:
    size = len(sequence)
    return any(tokens[i:i + size] == sequence for i in range(len(tokens) - size + 1))


def _listing(entry) -> str:
    """How the listed party was listed, for lists that cite each entry (the Entity List selection)."""
    if entry.citation and entry.listed_on:
        return f" (listed by {entry.citation} on {entry.listed_on.isoformat()})"
    if entry.confidence == "low":
        return " (listing citation not verified)"
    return ""


def _compile_name_list(path: str, named: NamedList) -> Test:
    """``in_list`` on a name field: both sides normalised as screening does (case, punctuation,
    legal forms), and a name holding a listed name as a whole-word sequence counts, because the
    laws behind these lists reach subsidiaries and affiliates ("Huawei Device Co., Ltd.")."""
    sequences, acronyms = _name_entries(named)
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for sequence in sorted(sequences, key=len, reverse=True):
        by_first.setdefault(sequence[0], []).append(sequence)
    acronym_search = _phrase_pattern(list(acronyms), case_sensitive=True).search if acronyms else None

    def listed_name(value) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        tokens = name_tokens(value)
        for token in dict.fromkeys(tokens):
            for sequence in by_first.get(token, ()):
                if _contains_sequence(tokens, sequence):
                    return sequences[sequence]
        found = acronym_search(value) if acronym_search else None
        return acronyms[found.group(0)] if found else None

    def decide(values):
        hits = [(v, name) for v in values for name in (listed_name(v),) if name]
        return bool(hits), hits

    listing = {entry.value: _listing(entry) for entry in named.values}

    def words(truth, hits, values):
        if truth:
            return tuple(f'{path} is {_quote(v)}, which matches "{name}" on the list "{named.title}"{listing[name]}'
                         for v, name in dict.fromkeys(hits))
        shown = _join(_nonblank(values)) or "blank"
        return (f'{path} is {shown}, which matches no name on the list "{named.title}"',)

    return Test(path, decide, words)
