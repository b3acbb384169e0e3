"""Checklists as data: load, validate and compile releases. Pure: no Flask, no database."""
from riskdesk.engine.checklists.loader import (
    ChecklistError,
    CompiledItem,
    Problem,
    Release,
    build_release,
    content_hash,
    load_release,
    read_directory,
)

__all__ = [
    "ChecklistError", "CompiledItem", "Problem", "Release", "build_release", "content_hash",
    "load_release", "read_directory",
]
