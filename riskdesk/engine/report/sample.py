"""The demo report: a realistic intake document and assessment result, and ``write_sample``.

A hand-written result in the engine's shape, for tests and benchmarks that need every kind of
finding at once; the methodology shows the real release's scoring (checklists/scoring.yaml). The case: a Texas port city asked to sign a sister-city agreement and a port
cooperation MoU with a Chinese municipal government (prohibited in Texas since 2025).

``python -m riskdesk.engine.report.sample [OUT_DIR]`` writes ``sample-report.pdf`` and PNGs of its first
two pages (``pdftoppm -png -r 60``) into ``OUT_DIR`` (default ``docs/``).
"""
from __future__ import annotations

import copy
import functools
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GENERATED_AT = "2026-11-26"

SAMPLE_DOCUMENT: dict = {
    "title": "Sister-city agreement and port cooperation MoU with Ningbo-Example City",
    "summary": ("The Port of Bayview and the Mayor's Office propose a sister-city agreement with "
                "Ningbo-Example City, paired with a memorandum of understanding on port logistics, "
                "a smart-port data pilot and annual delegation visits paid for by the partner."),
    "city": {"name": "Bayview", "state": "TX", "population": 212000},
    "agreement": {
        "type": "sister_city", "status": "new", "legally_binding": "unknown",
        "duration_years": 5, "auto_renewal": "yes", "exit_clause": "unknown",
        "text": ("Article 3. The parties shall exchange port operations data, including vessel "
                 "schedules and terminal throughput, through the partner's LOGINK platform.\n"
                 "Article 7. The parties shall keep the contents of their cooperation "
                 "confidential and shall support each other's positions on matters of "
                 "territorial integrity."),
    },
    "partner": {"name": "Ningbo-Example City People's Government", "city": "Ningbo-Example",
                "region": "Zhejiang", "country": "CN", "kind": "municipal_government",
                "government_links": "yes"},
    "intermediaries": [
        {"name": "Zhejiang People's Association for Friendship with Foreign Countries",
         "country": "CN", "kind": "friendship_association", "role": "facilitator"},
        {"name": "Gulf Coast Sino-American Chamber", "country": "US", "kind": "ngo",
         "role": "host of the signing event"},
    ],
    "people": [
        {"name": "Li Wei", "role": "Vice Mayor", "affiliation": "Ningbo-Example City", "country": "CN"},
        {"name": "Zhang Min", "role": "Director", "affiliation": "Ningbo-Example Port Group",
         "country": "CN"},
        {"name": "Dana Ortiz", "role": "Port Director", "affiliation": "Port of Bayview",
         "country": "US"},
    ],
    "sectors": ["ports_logistics", "smart_city_data", "trade_investment", "culture_arts"],
    "funding": {"city_cost_usd": 18000, "partner_funding_usd": 65000,
                "travel_paid_by_partner": "yes", "gifts_to_officials": "unknown",
                "federal_funds_involved": "yes"},
    "data_and_technology": {"data_sharing": "system_access", "technology_transfer": "unknown",
                            "equipment_or_software_from_partner": "yes",
                            "vendors": ["LOGINK", "Hikvision"]},
    "commitments": {"un_agendas": ["agenda_2030_sdgs"], "exclusivity": "no",
                    "confidentiality": "yes", "political_statements": "yes",
                    "joint_communications": "yes", "partner_media_involvement": "unknown"},
    "context": {"city_taiwan_ties": "yes", "city_human_rights_positions": "no",
                "diaspora_communities": "yes", "months_to_next_election": 7,
                "prior_incidents": "A 2024 delegation asked to remove a Taiwan flag from a port event."},
}

_TX = {"title": "Tex. Gov't Code ch. 795 (HB 128, 89th Leg., 2025)",
       "url": "https://statutes.capitol.texas.gov/Docs/GV/htm/GV.795.htm",
       "verified": "2026-11-22", "confidence": "high"}
_CFR = {"title": "15 CFR 791.4 — Determination of foreign adversaries",
        "url": "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-E/part-791/subpart-A/section-791.4",
        "verified": "2026-11-22", "confidence": "high"}

SAMPLE_RESULT: dict = {
    "rating": "critical", "prohibited": True, "score": 96,
    "categories": {
        "legal_state": {"score": 40, "rating": "critical"},
        "legal_federal": {"score": 8, "rating": "high"},
        "foreign_interference": {"score": 19, "rating": "high"},
        "economic_security": {"score": 11, "rating": "moderate"},
        "data_protection": {"score": 11, "rating": "high"},
        "governance": {"score": 4, "rating": "low"},
        "human_rights": {"score": 3, "rating": "low"},
        "disinformation": {"score": 0, "rating": "low"},
    },
    "findings": [
        {"id": "TX-795-SISTER-CITY", "category": "legal_state", "effect": "prohibition",
         "severity": "critical", "jurisdiction": "US-TX",
         "title": "Texas bars sister-city agreements with foreign adversaries",
         "rationale": ("Since September 1, 2025, Texas cities may not enter into a sister-city "
                       "agreement with a municipality or other governmental entity of a "
                       "designated foreign adversary. China is designated."),
         "because": ["Agreement type: Sister-city agreement",
                     "Partner country: China, which is on the list \"Texas foreign adversaries (Tex. Gov't Code 795.001)\"",
                     "Kind of partner: Municipal government"],
         "citations": [_TX, _CFR],
         "mitigations": ["Do not sign the sister-city agreement.",
                         "Ask the city attorney whether any existing tie with this partner must be ended."]},
        {"id": "TX-2274-CRIT-INFRA", "category": "legal_state", "effect": "requirement",
         "severity": "high", "jurisdiction": "US-TX",
         "title": "Critical-infrastructure contracts with foreign-adversary companies are restricted",
         "rationale": ("Texas restricts agreements that give companies owned or controlled from a "
                       "designated country access to critical infrastructure, including ports. "
                       "The data pilot would give system access."),
         "because": ["Sectors: Ports and logistics",
                     "Data shared with the partner: Access to city systems"],
         "citations": [{"title": "Tex. Bus. & Com. Code ch. 2274 (SB 2116, 2021)",
                        "url": "https://statutes.capitol.texas.gov/Docs/BC/htm/BC.2274.htm",
                        "verified": "2026-11-20", "confidence": "medium",
                        "note": "Whether a municipal MoU counts as a contract is unsettled."}],
         "mitigations": ["Remove system access to port systems from the MoU.",
                         "Ask the city attorney whether any existing tie with this partner must be ended."]},
        {"id": "FED-NDAA-889", "category": "legal_federal", "effect": "requirement",
         "severity": "high", "jurisdiction": "US",
         "title": "Federal funds may not buy covered telecommunications or video equipment",
         "rationale": ("Section 889 bars using federal grant or loan funds for covered equipment; "
                       "a vendor named in the proposal is covered."),
         "because": ["Federal funds involved: Yes",
                     "Equipment or software vendors: Hikvision, which is on the list \"Covered telecommunications vendors (FCC)\""],
         "citations": [{"title": "2 CFR 200.216 — Prohibition on certain telecommunications and video surveillance services or equipment",
                        "url": "https://www.ecfr.gov/current/title-2/subtitle-A/chapter-II/part-200/subpart-C/section-200.216",
                        "verified": "2026-11-21", "confidence": "high"}],
         "mitigations": ["Exclude covered equipment from any purchase made with federal funds."]},
        {"id": "FI-UFWD-INTERMEDIARY", "category": "foreign_interference", "effect": "risk",
         "severity": "high",
         "title": "A United Front-linked friendship association brokers the agreement",
         "rationale": ("Provincial friendship associations belong to the network of the Chinese "
                       "People's Association for Friendship with Foreign Countries, which U.S. "
                       "agencies describe as part of the United Front system."),
         "because": ["Intermediary's name mentions \"People's Association for Friendship with Foreign Countries\" (on the list \"United Front-linked organizations\")"],
         "citations": [{"title": "NCSC, Safeguarding Our Democracy: PRC Influence Operations Targeting U.S. State and Local Leaders (2022)",
                        "url": "https://www.dni.gov/files/NCSC/documents/SafeguardingOurDemocracy/NCSC_State_Local_Influence_Bulletin.pdf",
                        "verified": "2026-11-15", "confidence": "high"}],
         "mitigations": ["Deal with the partner government directly, not through the association.",
                         "Disclose all contacts with the association to the council."]},
        {"id": "FI-POLITICAL-STATEMENTS", "category": "foreign_interference", "effect": "risk",
         "severity": "moderate",
         "title": "The draft asks the city to support the partner government's positions",
         "rationale": "Article 7 commits the city to support positions on \"territorial integrity\".",
         "because": ["Asked to endorse the partner government's positions: Yes",
                     "Full text of the draft agreement mentions \"territorial integrity\""],
         "citations": [{"title": "State Department guidance on subnational diplomacy (2023)",
                        "url": "https://www.state.gov/subnational-diplomacy/", "verified": None,
                        "confidence": "low"}],
         "mitigations": ["Strike Article 7 or limit it to the city's own programs."]},
        {"id": "ES-LOGINK", "category": "economic_security", "effect": "risk", "severity": "high",
         "title": "Port data through LOGINK",
         "rationale": ("LOGINK is a state-run logistics platform; federal agencies warn that "
                       "its use exposes port data."),
         "because": ["Equipment or software vendors mentions LOGINK",
                     "Sectors: Ports and logistics"],
         "citations": [{"title": "U.S.-China Economic and Security Review Commission, LOGINK issue brief (2022)",
                        "url": "https://www.uscc.gov/research/logink-risks-chinas-digital-logistics-platform",
                        "verified": "2026-11-18", "confidence": "high"}],
         "mitigations": ["Do not connect city or port systems to LOGINK."]},
        {"id": "DP-SYSTEM-ACCESS", "category": "data_protection", "effect": "risk",
         "severity": "high", "title": "The partner would get access to city systems",
         "rationale": "System access goes beyond sharing data and cannot be undone easily.",
         "because": ["Data shared with the partner: Access to city systems"],
         "citations": [],
         "mitigations": ["Remove system access to port systems from the MoU.",
                         "Share only published, aggregate data."]},
        {"id": "GOV-CONFIDENTIALITY", "category": "governance", "effect": "risk",
         "severity": "moderate", "title": "Confidentiality clause conflicts with open-records duties",
         "rationale": "Texas Public Information Act duties cannot be waived by agreement.",
         "because": ["Confidentiality clause: Yes"],
         "citations": [{"title": "Tex. Gov't Code ch. 552 (Public Information Act)",
                        "url": "https://statutes.capitol.texas.gov/Docs/GV/htm/GV.552.htm",
                        "verified": "2026-11-22", "confidence": "high"}],
         "mitigations": ["Strike the confidentiality clause."]},
        {"id": "HR-TAIWAN-TIES", "category": "human_rights", "effect": "risk", "severity": "low",
         "title": "Existing ties with Taiwan may be pressured",
         "rationale": "The city has ties with Taiwan and a prior incident is on record.",
         "because": ["City has ties with Taiwan: Yes", "Prior incidents: given"],
         "citations": [], "mitigations": ["Brief the council on the Taiwan ties before the vote."]},
        {"id": "GAP-GIFTS", "category": "governance", "effect": "gap", "severity": "moderate",
         "title": "Gifts to officials not yet answered",
         "rationale": "Gifts from a foreign government may need disclosure and approval.",
         "because": ["Gifts to officials: unknown (not yet answered)"], "citations": [],
         "mitigations": []},
    ],
    "open_questions": [
        "Will officials receive gifts, meals or paid travel from the partner or its intermediaries?",
        "Is the agreement legally binding on the city?",
        "Does the draft have an exit clause the city can use without cause?",
        "Will any technology or know-how be transferred, and in which direction?",
    ],
    "checklist_release": "rel-2026-11-22-9f3c1a7e5b2d",
}

SAMPLE_RELEASE = {"hash": "rel-2026-11-22-9f3c1a7e5b2d", "created_at": "2026-11-22",
                  "note": "Adds Texas SB 2116 critical-infrastructure item."}

SAMPLE_HITS = [
    {"query": "Zhang Min", "role": "Person", "list_source": "OFAC SDN", "matched_name": "ZHANG, Min",
     "entry_uid": "SDN-36124", "score": 0.93, "why": "same family and given name; no date of birth in the intake",
     "adjudication": {"verdict": "false_positive", "note": "Listed person born 1961 in Dalian; the delegate is 34 and works for the port group.",
                      "by": "M. Alvarez, Legal", "at": "2026-11-24"}},
    {"query": "Zhejiang People's Association for Friendship with Foreign Countries", "role": "Intermediary",
     "list_source": "Consolidated Screening List (Entity List)", "matched_name": "Zhejiang Friendship Association",
     "entry_uid": "CSL-88213", "score": 0.86, "why": "token overlap 4 of 7", "adjudication": None},
]

SAMPLE_SCREENING = {
    "screened_at": "2026-11-24",
    "lists": [{"source": "OFAC SDN", "records": 14965, "snapshot_date": "2026-11-20"},
              {"source": "Consolidated Screening List (Entity List)", "records": 2381,
               "snapshot_date": "2026-11-20"}],
    "parties": [{"name": SAMPLE_DOCUMENT["partner"]["name"], "kind": "Partner"}]
    + [{"name": i["name"], "kind": "Intermediary"} for i in SAMPLE_DOCUMENT["intermediaries"]]
    + [{"name": p["name"], "kind": "Person"} for p in SAMPLE_DOCUMENT["people"]],
    "hits": SAMPLE_HITS,
}

@functools.cache
def release_scoring() -> dict:
    """The scoring rules of the checklists in this repository, as the report prints them."""
    from riskdesk.engine.checklists.loader import load_release
    from riskdesk.engine.scoring import scoring_summary

    return scoring_summary(load_release(Path(__file__).resolve().parents[3] / "checklists").scoring)


def sample_kwargs(**overrides) -> dict:
    kw = {"status": "DRAFT", "release": SAMPLE_RELEASE, "screening": SAMPLE_SCREENING,
          "generated_at": GENERATED_AT, "scoring": release_scoring()}
    kw.update(overrides)
    return copy.deepcopy(kw)


def make_large_result(n: int = 40) -> dict:
    """A result with ``n`` findings spread over every category (for tests and benchmarks)."""
    base = copy.deepcopy(SAMPLE_RESULT)
    templates = base["findings"]
    cats = list(base["categories"])
    findings = []
    for i in range(n):
        f = copy.deepcopy(templates[i % len(templates)])
        f["id"] = f"{f['id']}-{i + 1:02d}"
        if i >= len(templates):
            f["category"] = cats[i % len(cats)]
            if f["category"] not in ("legal_state", "legal_federal") and f["effect"] in ("prohibition", "requirement"):
                f["effect"] = "risk"
            f["title"] = f"{f['title']} (variant {i + 1})"
            for c in f["citations"]:
                c["title"] = f"{c['title']} [ref {i + 1}]"
        findings.append(f)
    base["findings"] = findings
    base["open_questions"] = base["open_questions"] * 2
    return base


def write_sample(out_dir) -> dict:
    """Write sample-report.pdf and sample-report-page-1.png/-2.png into ``out_dir``."""
    from .render import render_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pdf = render_report(SAMPLE_DOCUMENT, SAMPLE_RESULT, **sample_kwargs())
    pdf_path = out / "sample-report.pdf"
    pdf_path.write_bytes(pdf)
    written = {"pdf": pdf_path, "png": []}
    if shutil.which("pdftoppm"):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf_path),
                            str(Path(tmp) / "page")], check=True)
            for i, png in enumerate(sorted(Path(tmp).glob("page-*.png")), start=1):
                target = out / f"sample-report-page-{i}.png"
                shutil.move(str(png), target)
                written["png"].append(target)
    return written


if __name__ == "__main__":  # pragma: no cover
    target = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "docs"
    print(write_sample(target))
