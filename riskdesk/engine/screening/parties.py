"""Who in an intake document is screened, and how a hit is reported outside the app.

Pure: the CLI (``assess``, ``report``, ``screen``) and the web flow read the same parties.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from riskdesk.vocabulary import PARTY_KIND_LABELS

from .importers import ListEntry
from .matcher import Hit

__all__ = ["ScreenedParty", "document_parties", "hit_record", "list_identifier", "birth_year"]

ROLE_LABELS = PARTY_KIND_LABELS  # the one vocabulary's words for who a party is


@dataclass(frozen=True)
class ScreenedParty:
    role: str  # partner | intermediary | person | vendor
    name: str
    country: str = ""
    detail: str = ""  # the partner's kind or the person's role, as the intake gives it

    @property
    def matcher_kind(self) -> str | None:
        """People are screened against person listings only; organisations against all."""
        return "person" if self.role == "person" else None


def document_parties(document: dict) -> list[ScreenedParty]:
    """The partner, intermediaries, people and vendors an intake document names, in that order."""
    partner = document.get("partner") or {}
    parties = [ScreenedParty("partner", partner["name"], partner.get("country") or "", partner.get("kind") or "")
               ] if partner.get("name") else []
    for role, key in (("intermediary", "intermediaries"), ("person", "people")):
        parties += [ScreenedParty(role, row["name"], row.get("country") or "", row.get("role") or "")
                    for row in document.get(key) or [] if row.get("name")]
    parties += [ScreenedParty("vendor", name) for name in
                (document.get("data_and_technology") or {}).get("vendors") or [] if name]
    return parties


def list_identifier(entry: ListEntry) -> str:
    """The list's own identifier: the SDN ent_num, the CSL entity number or id, the OpenSanctions id."""
    for prefix in ("SDN-", "CSL-"):
        if entry.uid.startswith(prefix):
            return entry.uid[len(prefix):]
    return entry.uid


def hit_record(hit: Hit) -> dict:
    """A hit as the command line prints it."""
    return {"source": hit.entry.source, "entry_id": list_identifier(hit.entry), "listed_name": hit.entry.name,
            "matched_name": hit.matched_name, "score": hit.score, "why": hit.why}


_YEAR = re.compile(r"^\s*(\d{4})(?:-\d{1,2}(?:-\d{1,2})?)?\s*$")


def birth_year(value: str | None) -> int | None:
    """The year of a birth date written YYYY, YYYY-MM or YYYY-MM-DD; None when empty.
    Raises ValueError for anything else."""
    if not value or not value.strip():
        return None
    m = _YEAR.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a date in YYYY-MM-DD form")
    return int(m.group(1))
