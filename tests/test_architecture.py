"""The house rules, checked on the source: the engine is pure, and packages import in one direction.

Layers, lowest first; a module may import from its own layer's package or from lower layers only:
  vocabulary, config            plain settings and words
  engine                        pure: document, checklists, scoring, screening, report building
  db, models, extensions        the database and Flask extension objects
  audit                         the audit trail every write records to
  checklists, screening         releases and list snapshots (services, then routes)
  users, web                    accounts, the access rule, shared view helpers
  proposals                     proposals, assessment, workflow and the proposal page
  council                       decisions, the portfolio and the council report
  jobs, ops                     background jobs over the services; health checks
  top: every package's routes, the api package, errors, demo, cli, the factory
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "riskdesk"
ENGINE_ALLOWED = ("riskdesk.engine", "riskdesk.vocabulary")
FORBIDDEN_IN_ENGINE = ("flask", "flask_login", "flask_wtf", "flask_limiter", "wtforms", "sqlalchemy", "alembic")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (function bodies included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            else:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names
                             if is_project_module(f"{node.module}.{alias.name}"))
    return found


def is_project_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def project_files():
    return sorted(PACKAGE.rglob("*.py"))


def test_the_engine_imports_nothing_from_flask_the_database_or_the_web_packages():
    engine_files = [p for p in project_files() if module_name(p).startswith("riskdesk.engine")]
    assert len(engine_files) > 10
    problems = []
    for path in engine_files:
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in FORBIDDEN_IN_ENGINE:
                problems.append(f"{module_name(path)} imports {name}")
            if top == "riskdesk" and not name.startswith(ENGINE_ALLOWED) and name != "riskdesk":
                problems.append(f"{module_name(path)} imports {name}")
    assert problems == []


def test_importing_every_engine_module_loads_no_flask_or_sqlalchemy():
    modules = [module_name(p) for p in project_files() if module_name(p).startswith("riskdesk.engine")]
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN_IN_ENGINE!r} "
            "or m in ('riskdesk.db', 'riskdesk.models'))\n"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr


LAYERS = [
    {"riskdesk.vocabulary", "riskdesk.config"},
    {"riskdesk.engine"},
    {"riskdesk.db", "riskdesk.models", "riskdesk.extensions", "riskdesk.security"},
    {"riskdesk.audit"},
    {"riskdesk.checklists", "riskdesk.screening"},
    {"riskdesk.users", "riskdesk.web"},
    {"riskdesk.proposals"},
    {"riskdesk.council"},
    {"riskdesk.jobs", "riskdesk.ops"},
    {"riskdesk.errors", "riskdesk.demo", "riskdesk.cli", "routes", "riskdesk.api", "riskdesk", "riskdesk.__main__"},
]


def unit_of(name: str) -> str | None:
    """The package (or top-level module) of ``riskdesk`` that a dotted name belongs to."""
    parts = name.split(".")
    if parts[0] != "riskdesk":
        return None
    if len(parts) > 2 and parts[2] == "routes":
        return "routes"  # every domain's routes sit in the web layer, above all services
    return ".".join(parts[:2]) if len(parts) > 1 else "riskdesk"


def layer_of(unit: str) -> int:
    for index, members in enumerate(LAYERS):
        if unit in members:
            return index
    raise AssertionError(f"{unit} is in no layer: add it to LAYERS in {__file__}")


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in project_files():
        unit = unit_of(module_name(path))
        targets = {unit_of(name) for name in imports_of(path)} - {None, unit}
        graph.setdefault(unit, set()).update(t for t in targets if t != "riskdesk" or unit == "riskdesk")
    return graph


def test_every_package_imports_only_from_its_own_or_lower_layers():
    problems = []
    for unit, targets in package_graph().items():
        for target in targets:
            if target == "riskdesk":
                continue
            if layer_of(target) > layer_of(unit):
                problems.append(f"{unit} imports {target}")
    assert problems == []


def test_there_is_no_import_cycle_between_packages():
    graph = package_graph()
    for start in graph:
        seen, stack = set(), [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for target in graph.get(node, ()):
                if target == start:
                    raise AssertionError(" -> ".join(trail + [start]))
                if target not in seen and target != "riskdesk":
                    seen.add(target)
                    stack.append((target, trail + [target]))
