"""One YAML dialect for every file RiskDesk reads: safe, YAML 1.2 booleans, no aliases.

PyYAML follows YAML 1.1, where an unquoted ``yes``/``no``/``on``/``off`` becomes a boolean; in a
document full of tri-state answers that silently turns ``yes`` into ``True``. This loader keeps
only ``true``/``false`` as booleans, and leaves dates as text for the validators. Aliases are refused because they let a small file expand into
a huge tree.
"""
from __future__ import annotations

import re

import yaml


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
    def __init__(self, line: int | None, reason: str):
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line else reason)


def _check_no_aliases(text: str) -> None:
    for event in yaml.parse(text, Loader=SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise YAMLInputError(event.start_mark.line + 1, "YAML aliases (*name) are not allowed")


def load(text: str):
    """Parse YAML text; raise YAMLInputError with the line for any syntax problem."""
    try:
        _check_no_aliases(text)
        return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader subclass
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
