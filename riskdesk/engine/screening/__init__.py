"""Restricted-party screening: list importers, name normalisation, fuzzy matcher and
its evaluation. Pure Python (no Flask, no database): the web app, the CLI, tests and
benchmarks all use it the same way.

    from riskdesk.engine.screening import parse_file, Matcher
    parsed = parse_file("sdn.csv", "sdn")
    hits = Matcher(parsed.entries).screen("Usama Bin Ladin")
"""

from .importers import (
    FORMATS,
    ListEntry,
    ListFormatError,
    ParsedList,
    parse_bytes,
    parse_file,
)
from .matcher import (
    DEFAULT_THRESHOLD,
    Hit,
    Matcher,
    clearance_key,
    is_cleared,
    query_key,
)
from .normalize import normalize_name

__all__ = [
    "DEFAULT_THRESHOLD",
    "FORMATS",
    "Hit",
    "ListEntry",
    "ListFormatError",
    "Matcher",
    "ParsedList",
    "clearance_key",
    "is_cleared",
    "normalize_name",
    "parse_bytes",
    "parse_file",
    "query_key",
]
