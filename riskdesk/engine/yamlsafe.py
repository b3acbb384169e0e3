"""One YAML dialect for every file RiskDesk reads: safe, YAML 1.2 booleans, no aliases.

PyYAML follows YAML 1.1, where an unquoted ``yes``/``no``/``on``/``off`` becomes a boolean; in a
document full of tri-state answers that silently turns ``yes`` into ``True``. This loader keeps
only ``true``/``false`` as booleans, and leaves dates as text for the validators. Aliases are refused because they let a small file expand into
a huge tree.
"""
from __future__ import annotations

import re

import yaml

from riskdesk.engine import inputlimits

# Limits checked before the tree is built: a 12 MB file or a 40 KB run of "[[[[" would otherwise
# cost the parser tens of seconds (or a RecursionError) before any error could be shown.
MAX_CHARS = 2_000_000
MAX_DEPTH = inputlimits.MAX_DEPTH


class SafeLoader(yaml.SafeLoader):
    pass


# Dates stay strings here: pydantic parses them, so "2026-13-40" is a validation error with a line,
# not a crash inside the YAML constructor.
SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class YAMLInputError(ValueError):
    def __init__(self, line: int | None, reason: str, path: str = ""):
        self.line = line
        self.reason = reason
        self.path = path  # the field, when a parsed value broke an input limit
        where = f"{path}: " if path else ""
        super().__init__(f"line {line}: {where}{reason}" if line else f"{where}{reason}")


def _check_events(text: str, max_depth: int) -> None:
    """Stream the parser's events (no tree yet): refuse aliases and nesting deeper than ``max_depth``."""
    depth = 0
    for event in yaml.parse(text, Loader=SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise YAMLInputError(event.start_mark.line + 1, "YAML aliases (*name) are not allowed")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > max_depth:
                raise YAMLInputError(event.start_mark.line + 1, f"nested more than {max_depth} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def load(text: str, *, max_chars: int = MAX_CHARS, max_depth: int = MAX_DEPTH):
    """Parse YAML text within the limits; raise YAMLInputError with the line for any problem.

    The parsed values obey ``inputlimits`` too (no NaN/Infinity, NUL or lone surrogates).
    """
    if len(text) > max_chars:
        raise YAMLInputError(None, f"larger than {max_chars // 1_000_000} MB; it was not read")
    try:
        _check_events(text, max_depth)
        return inputlimits.check(yaml.load(text, Loader=SafeLoader), max_depth)  # noqa: S506 - SafeLoader subclass
    except inputlimits.InputLimitError as exc:
        raise YAMLInputError(None, exc.reason, exc.path) from None
    except RecursionError:
        raise YAMLInputError(None, f"nested more than {max_depth} levels deep") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YAMLInputError(mark.line + 1 if mark else None, str(exc.problem or exc)) from exc
    except yaml.YAMLError as exc:
        raise YAMLInputError(None, str(exc)) from exc


def line_map(text: str) -> dict[tuple, int]:
    """Map each key path (strings and list indexes) to the 1-based line where its value starts."""
    lines: dict[tuple, int] = {}

    def walk(node, path: tuple) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, path + (key.value,))
                lines.setdefault(path + (key.value,), key.start_mark.line + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                walk(value, path + (index,))

    root = yaml.compose(text, Loader=SafeLoader)
    if root is not None:
        walk(root, ())
    return lines


def nearest_line(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of the deepest existing prefix of ``path`` (pydantic adds tags the YAML lacks)."""
    found: tuple = ()
    for part in path:
        if found + (part,) in lines:
            found = found + (part,)
    return lines.get(found)


def dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
