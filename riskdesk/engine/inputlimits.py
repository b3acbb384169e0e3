"""Limits every parsed input obeys before anything else reads it: size, nesting, numbers, characters.

A value that breaks one is refused with the path of the field (``partner.name``, ``parties.2.name``):
nesting deeper than ``MAX_DEPTH`` (Python's parsers recurse and a deep file costs minutes of CPU or a
RecursionError), NaN or ±Infinity (valid JSON to Python, not a number anywhere else: "$nan" on a
page, invalid JSON on export, an error on PostgreSQL), the NUL character (PostgreSQL text cannot hold
it) and lone UTF-16 surrogates such as ``\\ud800`` (no UTF-8 encoding exists).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


class InputLimitError(ValueError):
    """The input breaks a limit; ``path`` names the field ('' for the whole input)."""

    def __init__(self, path: str, reason: str, line: int | None = None):
        self.path, self.reason, self.line = path, reason, line
        where = f"line {line}: " if line else ""
        super().__init__(f"{where}{path}: {reason}" if path else f"{where}{reason}")


def _text_problem(text: str) -> str | None:
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return f"contains a lone surrogate (U+{ord(found.group()):04X}), which is not a character"


def problems(value: Any, max_depth: int = MAX_DEPTH) -> list[tuple[str, str]]:
    """(dotted path, reason) for every value breaking a limit; iterative, so any depth is safe to walk."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, tuple, int]] = [(value, (), 0)]
    while stack:
        node, path, depth = stack.pop()
        dotted = ".".join(map(str, path))
        if depth > max_depth:
            found.append((dotted, f"is nested more than {max_depth} levels deep"))
            continue
        if isinstance(node, dict):
            for key, child in node.items():
                if isinstance(key, str) and _text_problem(key):
                    found.append((dotted, f"has a field name that {_text_problem(key)}"))
                stack.append((child, path + (key,), depth + 1))
        elif isinstance(node, list):
            stack.extend((child, path + (index,), depth + 1) for index, child in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            found.append((dotted, f"{node!r} is not a number (NaN and Infinity are refused)"))
        elif isinstance(node, str) and _text_problem(node):
            found.append((dotted, _text_problem(node)))
    return sorted(found)


def check(value: Any, max_depth: int = MAX_DEPTH) -> Any:
    """``value`` unchanged, or InputLimitError for its first problem."""
    bad = problems(value, max_depth)
    if bad:
        raise InputLimitError(*bad[0])
    return value


def check_size(text: str | bytes, max_chars: int, what: str = "the file") -> None:
    if len(text) > max_chars:
        raise InputLimitError("", f"{what} is larger than {max_chars // 1_000_000 or max_chars} "
                                  f"{'MB' if max_chars >= 1_000_000 else 'characters'}; it was not read")


def _nesting_depth(text: str) -> tuple[int, int]:
    """The deepest [ / { nesting outside strings, and the line where it is first reached (linear scan)."""
    depth = deepest = 0
    line = deepest_line = 1
    in_string = escaped = False
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line
        elif char in "]}":
            depth -= 1
    return deepest, deepest_line


def loads_json(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses deep nesting before parsing, and NaN/Infinity, NUL and lone surrogates after
    (by field: the parser reads NaN as a float, the walk then names where it is).

    json.JSONDecodeError still signals a syntax error.
    """
    deepest, line = _nesting_depth(text)
    if deepest > max_depth:
        raise InputLimitError("", f"nested more than {max_depth} levels deep", line)
    return check(json.loads(text), max_depth)
