"""Words people read for the intake document: field labels and answer labels, kept once, beside the schema.

Field labels are the schema's own ``title`` of each field (``schema.json``). Answer labels are written
by hand below for every enumerated value (a test checks that none is missing): the form, the proposal
page, the *because* texts, open questions and the report all take their words from here, never from
the codes.
"""
from __future__ import annotations

import re
from functools import cache
from typing import Any

import pycountry

from riskdesk.engine.document import _resolve, schema

NOT_GIVEN = "not given"

TRISTATE = {"yes": "Yes", "no": "No", "unknown": "Unknown"}
PARTY_KINDS = {
    "municipal_government": "Municipal government", "regional_government": "Regional or provincial government",
    "national_government": "National government", "state_owned_enterprise": "State-owned company",
    "private_company": "Private company", "university": "University or research institute", "ngo": "NGO",
    "friendship_association": "Friendship association", "city_network": "Network of cities", "other": "Other",
    "unknown": "Unknown",
}
# Answer labels by the field they belong to ("[]" marks the items of a list).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "city.kind": {"municipality": "City or town", "county": "County", "township": "Township", "other": "Other",
                  "unknown": "Unknown"},
    "agreement.type": {
        "sister_city": "Sister-city agreement", "friendship_city": "Friendship-city agreement", "mou": "MoU",
        "technical_cooperation": "Technical cooperation", "economic_development": "Economic development",
        "delegation_visit": "Delegation visit", "network_membership": "Network membership",
        "grant_or_donation": "Grant or donation", "other": "Other"},
    "agreement.status": {"new": "New", "renewal": "Renewal", "amendment": "Amendment",
                         "existing_review": "Review of an existing tie"},
    "partner.kind": PARTY_KINDS,
    "intermediaries[].kind": PARTY_KINDS,
    "origin.proposed_by": {
        "city": "The city", "partner": "The partner", "intermediary": "An intermediary", "consulate": "A consulate",
        "business": "A business", "community_group": "A community group", "unknown": "Unknown"},
    "sectors[]": {
        "culture_arts": "Culture and arts", "education_youth": "Education and youth", "tourism": "Tourism",
        "trade_investment": "Trade and investment", "ports_logistics": "Ports and logistics", "energy": "Energy",
        "water_wastewater": "Water and wastewater", "telecommunications": "Telecommunications",
        "transportation": "Transportation", "smart_city_data": "Smart city and data", "public_safety": "Public safety",
        "health": "Health", "climate_environment": "Climate and environment", "urban_planning": "Urban planning",
        "research_technology": "Research and technology", "agriculture_food": "Agriculture and food",
        "sports": "Sports", "other": "Other"},
    "data_and_technology.data_sharing": {
        "none": "None", "public": "Public data only", "aggregate": "Aggregate statistics",
        "personal": "Personal data", "system_access": "Access to city systems", "unknown": "Unknown"},
    "commitments.un_agendas[]": {
        "agenda_21": "Agenda 21", "agenda_2030_sdgs": "UN 2030 Agenda / SDGs", "new_urban_agenda": "New Urban Agenda",
        "paris_agreement": "Paris Agreement", "iclei_membership": "ICLEI membership",
        "other_un": "Another UN agenda"},
}
# How the city writes some countries (ISO's official names read oddly in a council report).
COUNTRY_NAMES = {
    "TW": "Taiwan", "KR": "South Korea", "KP": "North Korea", "RU": "Russia", "IR": "Iran", "SY": "Syria",
    "VE": "Venezuela", "BO": "Bolivia", "TZ": "Tanzania", "VN": "Vietnam", "LA": "Laos", "MD": "Moldova",
    "PS": "Palestine", "FM": "Micronesia", "CD": "Democratic Republic of the Congo", "CG": "Republic of the Congo",
    "GB": "United Kingdom", "US": "United States", "CZ": "Czechia", "TR": "Türkiye", "BN": "Brunei",
    "CV": "Cabo Verde", "VA": "Holy See", "MK": "North Macedonia", "HK": "Hong Kong", "MO": "Macao",
}


# How a field is named in a sentence when its schema title needs its section to make sense, or carries
# a technical note meant for the form ("Name" of which row? "(ISO 3166-1 alpha-2)").
FIELD_PHRASES = {
    "city.state": "State", "partner.country": "Partner country", "agreement.duration_years": "Duration in years",
    "intermediaries[].name": "Intermediary's name", "intermediaries[].country": "Intermediary's country",
    "intermediaries[].kind": "Kind of intermediary", "intermediaries[].role": "Intermediary's role",
    "people[].name": "Person's name", "people[].role": "Person's role",
    "people[].affiliation": "Person's affiliation", "people[].country": "Person's country",
}


def _plain(path: str) -> str:
    """``people.3.name``, ``people[].name`` or ``people.name`` (a checklist's path) -> ``people[].name``."""
    plain = re.sub(r"\.(\d+)(?=\.|$)", "[]", path)
    return _row_paths().get(plain, plain)


@cache
def _row_paths() -> dict[str, str]:
    """``people.name`` -> ``people[].name``: checklists name a field of repeated rows without the brackets."""
    return {path.replace("[]", ""): path for path in _fields() if "[]." in path}


@cache
def _fields() -> dict[str, dict]:
    """Every field path (lists as ``[]``) with its schema node."""
    found: dict[str, dict] = {}

    def walk(node: dict, path: str) -> None:
        node = _resolve(node)
        if path:
            found[path] = node
        if node.get("type") == "object":
            for name, child in node.get("properties", {}).items():
                walk(child, f"{path}.{name}" if path else name)
        elif node.get("type") == "array":
            items = _resolve(node["items"])
            if items.get("type") == "object":
                walk(items, f"{path}[]")
            else:
                found[f"{path}[]"] = items

    walk(schema(), "")
    return found


def intake_fields() -> dict[str, dict]:
    """Every field path of the intake (lists as ``[]``) with its schema node, in the form's order."""
    return _fields()


def field_label(path: str) -> str:
    """The schema title of a field: ``funding.federal_funds_involved`` -> ``Federal funds involved``."""
    node = _fields().get(_plain(path)) or _fields().get(_plain(path).removesuffix("[]"))
    if node is None or not node.get("title"):
        raise KeyError(f"no label for intake field {path!r}")
    return node["title"]


def field_phrase(path: str) -> str:
    """How a field is named in a sentence (*because* texts, open questions): ``Intermediary's name``."""
    return FIELD_PHRASES.get(_plain(path)) or field_label(path)


def enum_values(path: str) -> list[str]:
    node = _fields().get(_plain(path), {})
    return list(node.get("enum", []))


def value_label(path: str, value: Any) -> str:
    """The words for one answer: ``yes`` -> ``Yes``, ``mou`` -> ``MoU``, ``None`` -> ``not given``."""
    if value is None or value == "":
        return NOT_GIVEN
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(value_label(f"{_plain(path)}[]", v) for v in value) if value else "none"
    plain = _plain(path)
    table = VALUE_LABELS.get(plain) or VALUE_LABELS.get(f"{plain}[]")
    if table is not None:
        return table.get(value, str(value))
    if enum_values(plain) == ["yes", "no", "unknown"]:
        return TRISTATE.get(value, str(value))
    if _fields().get(plain, {}).get("format", "").startswith("iso3166"):
        return country_label(value)
    return str(value)


@cache
def country_label(code: str | None) -> str:
    """A country as the city would write it (``TW`` -> ``Taiwan``); an unknown code is shown as itself."""
    if not code:
        return ""
    code = str(code).upper()
    if code in COUNTRY_NAMES:
        return COUNTRY_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name
