"""What besides the name tells two parties apart: birth years and countries.

Used by the matcher to demote a name clash when the intake says where a person comes from
or when they were born and the listing says otherwise; never to raise a score.
"""
from __future__ import annotations

import re
from functools import lru_cache

import pycountry

from .importers import ListEntry
from .normalize import fold

__all__ = ["birth_years", "entry_countries", "country_names", "attribute_penalty"]

_DOB = re.compile(r"\b(?:DOB|date of birth)\b[^;]*", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
BIRTH_YEAR_PENALTY = 15.0  # a person born in another year (more than a year apart): an exact name drops below 88
COUNTRY_PENALTY = 6.0  # a person of a country the listing never mentions


def birth_years(entry: ListEntry) -> frozenset[int]:
    """Years in the listing's ``DOB`` remarks ("DOB 29 Jan 1951; alt. DOB 1952", "DOB circa 1960")."""
    years: set[int] = set()
    for part in _DOB.findall(entry.remarks or ""):
        years.update(int(y) for y in _YEAR.findall(part))
    return frozenset(years)


@lru_cache(maxsize=512)
def country_names(country: str) -> frozenset[str]:
    """Folded names of a country given as an ISO code ("CU") or a name ("Cuba")."""
    text = (country or "").strip()
    if not text:
        return frozenset()
    found = pycountry.countries.get(alpha_2=text.upper()) if len(text) == 2 else None
    if found is None:
        try:
            found = pycountry.countries.lookup(text)
        except LookupError:
            return frozenset({fold(text)})
    names = {getattr(found, a, "") for a in ("name", "common_name", "official_name")} | {found.alpha_2}
    return frozenset(fold(n) for n in names if n)


def entry_countries(entry: ListEntry) -> frozenset[str]:
    """Folded countries the listing names: nationalities and the last part of each address."""
    places = {fold(c) for c in entry.countries}
    places.update(fold(a.rsplit(",", 1)[-1]).strip() for a in entry.addresses if a.strip())
    return frozenset(p for p in places if p)


def attribute_penalty(entry: ListEntry, *, country: str | None = None,
                      birth_year: int | None = None) -> tuple[float, list[str]]:
    """Points to take off a name score, and why (empty when nothing disagrees or nothing is known)."""
    penalty, notes = 0.0, []
    if birth_year and entry.kind == "person":
        years = birth_years(entry)
        if years and all(abs(y - birth_year) > 1 for y in years):
            penalty += BIRTH_YEAR_PENALTY
            listed = ", ".join(str(y) for y in sorted(years))
            notes.append(f"born {birth_year}, while the listing gives {listed}")
    if country and entry.kind == "person":  # an organisation's fronts and branches sit anywhere
        listed_places = entry_countries(entry)
        wanted = country_names(country)
        if listed_places and wanted and not any(w in p or p in w for w in wanted for p in listed_places):
            penalty += COUNTRY_PENALTY
            notes.append(f"country {country} is not among the listing's countries")
    return penalty, notes
