"""Broken checklist files are refused with file, line and reason; the shipped ones validate."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from riskdesk.engine.checklists import (
    ChecklistError,
    build_release,
    load_release,
    read_directory,
)

ROOT = Path(__file__).resolve().parent.parent
SCORING = (ROOT / "checklists" / "scoring.yaml").read_text()
LIST = """name: foreign_adversaries
title: Foreign adversaries (15 CFR 791.4)
source: {title: 15 CFR 791.4, url: "https://www.ecfr.gov/current/title-15/section-791.4", as_of: 2025-01-01, verified: 2026-11-22}
values: [CN, RU]
"""
GOOD_ITEM = """pack: test
title: Test pack
items:
  - id: T-1
    category: foreign_interference
    effect: risk
    severity: high
    title: Partner pays travel for officials
    when: {field: funding.travel_paid_by_partner, equals: yes}
    rationale: Paid travel is a classic path to cultivating officials.
"""


def files_with(pack_text: str) -> dict[str, str]:
    return {"scoring.yaml": SCORING, "lists/fa.yaml": LIST, "core/test.yaml": pack_text}


def problems_of(pack_text: str):
    with pytest.raises(ChecklistError) as info:
        build_release(files_with(pack_text))
    return info.value.problems


def test_good_pack_loads():
    release = build_release(files_with(GOOD_ITEM))
    assert [i.id for i in release.items] == ["T-1"] and len(release.hash) == 64


BROKEN = {
    "unknown field": ("funding.travel_paid_by_partner", "funding.travel_paid", 9, "unknown field 'funding.travel_paid'"),
    "unknown list": ("{field: funding.travel_paid_by_partner, equals: yes}",
                     "{field: partner.country, in_list: adversaries}", 9, "unknown list 'adversaries'"),
    "unknown operator": ("equals: yes}", "equal: yes}", 9, "unknown key 'equal'"),
    "bad category": ("category: foreign_interference", "category: espionage", 5, "'espionage' is not allowed"),
    "bad severity": ("severity: high", "severity: severe", 7, "'severe' is not allowed"),
    "bad effect": ("effect: risk", "effect: ban", 6, "'ban' is not allowed"),
    "bad enum value": ("equals: yes}", "equals: perhaps}", 9, "'perhaps' is not a value of funding.travel_paid_by_partner"),
    "operator on wrong kind": ("{field: funding.travel_paid_by_partner, equals: yes}",
                               "{field: partner.name, gte: 3}", 9, "needs a number field"),
    "two operators": ("equals: yes}", "equals: yes, is_unknown: true}", 9, "exactly one operator"),
    "yaml syntax": ("    when: {field", "    when: {field: [", 9, "YAML syntax"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_name_file_line_and_reason(case):
    old, new, line, reason = BROKEN[case]
    assert old in GOOD_ITEM
    problems = problems_of(GOOD_ITEM.replace(old, new, 1))
    assert any(p.file == "core/test.yaml" and reason in p.reason for p in problems), problems
    assert any(p.line == line for p in problems), [(p.line, p.reason) for p in problems]


def test_duplicate_ids_are_refused():
    twice = GOOD_ITEM + GOOD_ITEM.split("items:\n", 1)[1]
    problems = problems_of(twice)
    assert any("duplicate item id 'T-1'" in p.reason and p.line == 11 for p in problems)


def test_malformed_dates_and_citations_are_refused():
    text = GOOD_ITEM.replace("category: foreign_interference", "category: legal_federal") + \
        "    citations:\n      - {title: Some law, url: not-a-url, verified: 2026-13-40}\n"
    problems = problems_of(text)
    reasons = " ".join(p.reason for p in problems)
    assert "citations.0.url" in reasons and "citations.0.verified" in reasons
    assert all(p.line == 12 for p in problems if "citations" in p.reason)


def test_prohibition_needs_high_confidence_citation():
    text = GOOD_ITEM.replace("effect: risk", "effect: prohibition") + \
        "    citations:\n      - {title: Some law, url: 'https://example.gov/x', verified: 2026-11-01, confidence: medium}\n"
    assert any("confidence: high" in p.reason for p in problems_of(text))


def test_aliases_are_refused():
    text = GOOD_ITEM.replace("    rationale:", "    question: &q Who pays?\n    mitigations: [*q]\n    rationale:")
    assert any("aliases" in p.reason for p in problems_of(text))


def test_missing_scoring_file_is_an_error():
    with pytest.raises(ChecklistError) as info:
        build_release({"core/test.yaml": GOOD_ITEM, "lists/fa.yaml": LIST})
    assert any(p.file == "scoring.yaml" for p in info.value.problems)


def test_non_monotone_scoring_is_refused():
    with pytest.raises(ChecklistError) as info:
        build_release({**files_with(GOOD_ITEM), "scoring.yaml": SCORING.replace("low: 1,", "low: -1,")})
    assert any("must not be negative" in p.reason for p in info.value.problems)


def test_shipped_checklists_validate():
    release = load_release(ROOT / "checklists")
    assert len(release.items) >= 50
    legal = [i for i in release.items if i.category in ("legal_state", "legal_federal")]
    assert legal and all(i.citations and all(c.verified for c in i.citations) for i in legal)


def test_cli_checklists_validate(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "riskdesk", "checklists", "validate", str(ROOT / "checklists")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "valid:" in ok.stdout
    broken = tmp_path / "checklists"
    shutil.copytree(ROOT / "checklists", broken)
    (broken / "core" / "zz_broken.yaml").write_text(GOOD_ITEM.replace("severity: high", "severity: severe"))
    bad = subprocess.run([sys.executable, "-m", "riskdesk", "checklists", "validate", str(broken)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "core/zz_broken.yaml:7:" in bad.stderr and bad.stdout == ""
    assert read_directory(broken)  # the folder itself is readable; only validation failed


SURVEY = (ROOT / "checklists" / "state_survey.yaml").read_text()
TN_PACK = GOOD_ITEM.replace("pack: test\n", "pack: TN\njurisdiction: US-TN\n")


def survey_problems(files: dict) -> list[str]:
    with pytest.raises(ChecklistError) as info:
        build_release(files)
    return [str(p) for p in info.value.problems]


def test_the_state_survey_must_cover_every_state_and_dc():
    without_wy = SURVEY.replace("  WY: {status: no_law_found}\n", "")
    problems = survey_problems({**files_with(GOOD_ITEM), "state_survey.yaml": without_wy})
    assert any("state_survey.yaml" in p and "missing: WY" in p for p in problems)


def test_the_state_survey_must_agree_with_the_packs():
    # The shipped survey records nine states as law_encoded; with only a TN pack, the other eight are refused.
    problems = survey_problems({**files_with(GOOD_ITEM), "states/TN.yaml": TN_PACK, "state_survey.yaml": SURVEY})
    assert any("TX is recorded as law_encoded but no pack has jurisdiction US-TX" in p for p in problems)
    assert not any(p.startswith("state_survey.yaml: TN ") for p in problems)
    oregon_pack = GOOD_ITEM.replace("pack: test\n", "pack: OR\njurisdiction: US-OR\n")
    problems = survey_problems({**read_directory(ROOT / "checklists"), "states/OR.yaml": oregon_pack})
    assert problems == ["state_survey.yaml: OR has a checklist pack but is recorded as no_law_found"]


def test_a_bills_only_record_must_say_what_was_seen():
    bad = SURVEY.replace('MO: {status: bills_only, found: "SB 265 (2013) vetoed; SB 211 (2025) introduced only"}',
                         "MO: {status: bills_only}")
    assert bad != SURVEY
    problems = survey_problems({**read_directory(ROOT / "checklists"), "state_survey.yaml": bad})
    assert any("must say what was found" in p for p in problems)


def test_acronyms_must_be_written_in_capitals():
    bad_list = LIST.replace("values: [CN, RU]", "values:\n  - {value: World Health Organization, acronyms: [who]}")
    with pytest.raises(ChecklistError, match="acronyms"):
        build_release({"scoring.yaml": SCORING, "lists/fa.yaml": bad_list, "core/test.yaml": GOOD_ITEM})
