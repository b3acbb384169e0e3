"""Generate docs/intake.md from the intake JSON Schema (``python -m riskdesk.engine.docgen [--check]``)."""
from __future__ import annotations

import sys
from pathlib import Path

from riskdesk.engine.document import _resolve, schema

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "intake.md"

INTRO = """# The intake document

One proposal is one document: the same in the web form, in YAML/JSON import and export, on the command
line (`python -m riskdesk validate FILE`, `python -m riskdesk assess FILE`) and in tests. The machine-readable
definition is the JSON Schema in `riskdesk/engine/schema.json`; this page is generated from it
(`python -m riskdesk.engine.docgen`).

Tri-state answers are `yes`, `no` or `unknown` (the default). **Unknown is never treated as no**: when a
checklist item needs an answer that is unknown, the assessment lists it as an open question. In YAML, `yes`
and `no` may be written without quotes. Country codes are ISO 3166-1 alpha-2 (`CN`, `FR`); states are USPS
codes (`TX`). Validation lists every problem with its field path, e.g.
`partner.country: 'XX' is not an ISO 3166-1 country code`, and exits with status 2.

Fields added after the first version (origin, governance, extra context, partner and data questions) are
optional, so older documents stay valid.

| field | type | required | meaning |
|---|---|---|---|"""


def _kind(node: dict) -> str:
    node = _resolve(node)
    if "enum" in node:
        if set(node["enum"]) == {"yes", "no", "unknown"}:
            return "yes / no / unknown"
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    fmt = node.get("format", "")
    if fmt.startswith("iso3166"):
        return "country code" + (" or blank" if fmt.endswith("or-empty") else "")
    if fmt == "us-state":
        return "USPS state code"
    kind = node.get("type")
    nullable = isinstance(kind, list) and "null" in kind
    kind = [k for k in kind if k != "null"][0] if isinstance(kind, list) else kind
    if kind == "array":
        return "list of " + _kind(node["items"])
    if kind == "string":
        return f"text (at most {node.get('maxLength')} characters)"
    if kind in ("integer", "number"):
        return f"{kind} {node.get('minimum')}–{node.get('maximum')}" + (" or blank" if nullable else "")
    return str(kind)


def render() -> str:
    lines = [INTRO]

    def walk(node: dict, prefix: str, required: set) -> None:
        for name, sub in _resolve(node)["properties"].items():
            sub = _resolve(sub)
            path = prefix + name
            needed = "yes" if name in required else ""
            if sub.get("type") == "object":
                lines.append(f"| **{path}** | section | {needed} | {sub.get('title', '')} |")
                walk(sub, path + ".", set(sub.get("required", ())))
            elif sub.get("type") == "array" and _resolve(sub["items"]).get("type") == "object":
                lines.append(f"| **{path}** | list of rows | | {sub.get('title', '')} |")
                items = _resolve(sub["items"])
                walk(items, path + "[].", set(items.get("required", ())))
            else:
                lines.append(f"| `{path}` | {_kind(sub)} | {needed} | {sub.get('title', '')} |")

    walk(schema(), "", set(schema()["required"]))
    lines += ["", "Examples: the demo proposals in `demo/` and the scenarios in `tests/scenarios/`.", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if DOC_PATH.read_text(encoding="utf-8") != text:
            print(f"{DOC_PATH} is out of date: run python -m riskdesk.engine.docgen", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
