"""Compile validated condition trees into fast, explainable closures.

An evaluator takes the (normalised) intake document and returns an ``Outcome``: the truth in
three-valued logic (``True``, ``False`` or ``None`` for *undetermined*, when an answer it needs is
``unknown``), the reasons for that truth, and the unknown fields that left it undetermined. Reasons
are zero-argument callables that build the plain-language sentence only when a report needs it
(``explain``), so evaluating a whole release stays cheap. No ``eval``: every operator is a small
Python function chosen at compile time.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, NamedTuple

from riskdesk.checklists.model import AllOf, AnyOf, FieldTest, NamedList, NotOf
from riskdesk.intake.document import FieldInfo, country_name


class Outcome(NamedTuple):
    truth: bool | None
    reasons: tuple[Callable[[], str], ...] = ()
    unknown: tuple[str, ...] = ()


def explain(reasons) -> tuple[str, ...]:
    """The plain-language sentences of an outcome's reasons, without repeats."""
    return tuple(dict.fromkeys(reason() for reason in reasons))


def _getter(path: str, info: FieldInfo) -> Callable[[dict], list]:
    """A fast accessor returning every value at ``path`` (rows of repeated sections each add one)."""
    parts = path.split(".")
    if not info.repeated:
        def get(doc: dict) -> list:
            value = doc
            for part in parts:
                value = value.get(part) if isinstance(value, dict) else None
            return value if isinstance(value, list) else [value]
        return get
    head = parts[0]
    rest = parts[1:]

    def get_rows(doc: dict) -> list:
        values = []
        for row in doc.get(head) or ():
            value = row
            for part in rest:
                value = value.get(part) if isinstance(value, dict) else None
            values.append(value)
        return values
    return get_rows


_country_label = lru_cache(maxsize=512)(country_name)


Evaluator = Callable[[dict], Outcome]


def _quote(value) -> str:
    return f'"{value}"' if isinstance(value, str) and " " in value else str(value)


def _join(values) -> str:
    return ", ".join(_quote(v) for v in values)


def _phrase_pattern(phrases: list[str]) -> re.Pattern:
    parts = sorted({r"\s+".join(map(re.escape, p.split())) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def compile_condition(node, fields: dict[str, FieldInfo], lists: dict[str, NamedList]) -> Evaluator:
    if isinstance(node, AllOf):
        return _compile_all([compile_condition(n, fields, lists) for n in node.all])
    if isinstance(node, AnyOf):
        return _compile_any([compile_condition(n, fields, lists) for n in node.any])
    if isinstance(node, NotOf):
        return _compile_not(compile_condition(node.not_, fields, lists))
    return _compile_test(node, fields[node.field], lists)


def _compile_all(children: list[Evaluator]) -> Evaluator:
    def evaluate(doc: dict) -> Outcome:
        reasons: list[str] = []
        unknown: list[str] = []
        undetermined = False
        for child in children:
            out = child(doc)
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

    return evaluate


def _compile_any(children: list[Evaluator]) -> Evaluator:
    def evaluate(doc: dict) -> Outcome:
        true_reasons: list[str] = []
        false_reasons: list[str] = []
        unknown: list[str] = []
        for child in children:
            out = child(doc)
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

    return evaluate


def _compile_not(child: Evaluator) -> Evaluator:
    def evaluate(doc: dict) -> Outcome:
        out = child(doc)
        if out.truth is None:
            return out
        return Outcome(not out.truth, out.reasons)

    return evaluate


def _blank(value) -> bool:
    return value is None or value == "" or value == []


def _compile_test(test: FieldTest, info: FieldInfo, lists: dict[str, NamedList]) -> Evaluator:
    path = test.field
    op = test.operator
    operand = test.operand
    can_be_unknown = "unknown" in info.values
    field_values = _getter(path, info)

    def shown(value) -> str:
        label = _country_label(value) if info.kind == "country" and isinstance(value, str) and value else ""
        return f"{_quote(value)} ({label})" if label and label != value else _quote(value)

    if op == "is_unknown":
        def evaluate(doc: dict) -> Outcome:
            values = field_values(doc)
            if "unknown" in values:
                return Outcome(True, (lambda: f"{path} is unknown (not yet answered)",))
            return Outcome(False, (lambda: f"{path} is answered ({_join(v for v in values if not _blank(v)) or 'blank'})",))

        return evaluate

    if op == "is_blank":
        def evaluate(doc: dict) -> Outcome:
            values = [v for v in field_values(doc) if not _blank(v)]
            if not values:
                return Outcome(True, (lambda: f"{path} is blank",))
            return Outcome(False, (lambda: f"{path} is filled in",))

        return evaluate

    if op in ("gte", "lte", "gt", "lt"):
        compare = {"gte": float.__ge__, "lte": float.__le__, "gt": float.__gt__, "lt": float.__lt__}[op]
        words = {"gte": "at least", "lte": "at most", "gt": "more than", "lt": "less than"}[op]
        limit = float(operand)

        def evaluate(doc: dict) -> Outcome:
            values = [v for v in field_values(doc) if isinstance(v, (int, float)) and not isinstance(v, bool)]
            hits = [v for v in values if compare(float(v), limit)]
            if hits:
                return Outcome(True, (lambda: f"{path} is {_join(hits)} ({words} {operand:g})",))
            return Outcome(False, (lambda: f"{path} is {_join(values) or 'blank'}, not {words} {operand:g}",))

        return evaluate

    if op in ("mentions", "mentions_list"):
        if op == "mentions":
            phrases = list(operand)
            described = f"any of: {_join(phrases)}"
        else:
            named = lists[operand]
            phrases = [v.value for v in named.values] + [a for v in named.values for a in v.aliases]
            described = f'a name on the list "{named.title}"'
        pattern = _phrase_pattern(phrases)

        def evaluate(doc: dict) -> Outcome:
            found: list[str] = []
            for value in field_values(doc):
                if isinstance(value, str) and value:
                    found.extend(m.group(0) for m in pattern.finditer(value))
            if found:
                unique = list(dict.fromkeys(f.strip() for f in found))
                suffix = f' (on the list "{named.title}")' if op == "mentions_list" else ""
                return Outcome(True, (lambda: f"{path} mentions {_join(unique)}{suffix}",))
            return Outcome(False, (lambda: f"{path} does not mention {described}",))

        return evaluate

    # Membership tests: equals, not_equals, in, not_in, in_list, contains_any.
    if op == "in_list":
        named = lists[operand]
        members = {str(v.value).casefold() for v in named.values}
        members |= {a.casefold() for v in named.values for a in v.aliases}

        def member(value) -> bool:
            return value in members or (value.__class__ is str and value.casefold() in members)

        def yes_text(v) -> str:
            return f'{path} is {shown(v)}, which is on the list "{named.title}"'

        def no_text(values) -> str:
            return f'{path} is {_join(map(shown, values)) or "blank"}, which is not on the list "{named.title}"'
    else:
        expected = [operand] if op in ("equals", "not_equals") else list(operand)
        folded = {str(e).casefold() if isinstance(e, str) else e for e in expected}

        def member(value) -> bool:
            return value in folded or (value.__class__ is str and value.casefold() in folded)

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

    def evaluate(doc: dict) -> Outcome:
        values = [v for v in field_values(doc) if v is not None and v != "" and v != []]
        hits = [v for v in values if member(v)]
        if can_be_unknown and not hits and "unknown" in values:
            return Outcome(None, (), (path,))
        if negate:
            if hits:
                return Outcome(False, (lambda: yes_text(hits[0]),))
            return Outcome(True, (lambda: no_text(values),))
        if hits:
            return Outcome(True, tuple((lambda v=v: yes_text(v)) for v in dict.fromkeys(hits)))
        return Outcome(False, (lambda: no_text(values),))

    return evaluate
