"""Run every realistic proposal in tests/scenarios/*.yaml against the shipped checklists.

Each scenario file holds a full intake document, the assessment date and the expected verdict:
the allowed rating band(s), whether a legal prohibition applies, and the items that must and must
not fire. The suite shows both that the legal bars bite where the law says so and that the tool
does not cry wolf on ordinary, well-governed ties.
"""
from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from riskdesk.engine import yamlsafe
from riskdesk.engine.checklists import load_release
from riskdesk.engine.document import normalize, validate
from riskdesk.engine.scoring import score

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCENARIOS = sorted(HERE.glob("*.yaml"))
RATINGS = ("low", "moderate", "high", "critical")
EXPECT_KEYS = {"rating", "prohibited", "fires", "not_fires", "open_questions"}


@cache
def release():
    return load_release(ROOT / "checklists")


def _load(path: Path) -> dict:
    data = yamlsafe.load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    unknown = set(data) - {"description", "on", "document", "expect"}
    assert not unknown, f"{path.name}: unknown keys {sorted(unknown)}"
    assert isinstance(data.get("description"), str) and data["description"].strip(), f"{path.name}: needs a description"
    on = data.get("on")
    try:
        data["on"] = on if isinstance(on, dt.date) else dt.date.fromisoformat(str(on))
    except ValueError:
        raise AssertionError(f"{path.name}: 'on' must be a date (YYYY-MM-DD), not {on!r}") from None
    assert set(data["expect"]) <= EXPECT_KEYS, f"{path.name}: unknown expect keys {set(data['expect']) - EXPECT_KEYS}"
    return data


def test_there_are_enough_scenarios():
    assert len(SCENARIOS) >= 25


def test_scenarios_cover_clean_ties():
    clean = [p for p in SCENARIOS if _load(p)["expect"].get("rating") in (["low"], "low")]
    assert len(clean) >= 4, "the suite must show the tool does not cry wolf"


def test_expected_ids_exist():
    ids = {item.id for item in release().items}
    for path in SCENARIOS:
        expect = _load(path)["expect"]
        for key in ("fires", "not_fires"):
            missing = set(expect.get(key, [])) - ids
            assert not missing, f"{path.name}: {key} names unknown items {sorted(missing)}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path):
    data = _load(path)
    problems = validate(data["document"])
    assert not problems, f"{path.name}: invalid intake document: " + "; ".join(map(str, problems))
    result = score(normalize(data["document"]), release(), on=data["on"]).to_dict()
    expect = data["expect"]
    fired = {f["id"] for f in result["findings"]}
    summary = f"rating={result['rating']} prohibited={result['prohibited']} score={result['score']} fired={sorted(fired)}"

    bands = expect["rating"] if isinstance(expect["rating"], list) else [expect["rating"]]
    assert set(bands) <= set(RATINGS), f"{path.name}: bad rating band {bands}"
    assert result["rating"] in bands, f"{path.name}: expected rating in {bands}; {summary}"
    if "prohibited" in expect:
        assert result["prohibited"] is expect["prohibited"], f"{path.name}: expected prohibited={expect['prohibited']}; {summary}"
    missing = set(expect.get("fires", [])) - fired
    assert not missing, f"{path.name}: expected to fire {sorted(missing)}; {summary}"
    wrong = set(expect.get("not_fires", [])) & fired
    assert not wrong, f"{path.name}: must not fire {sorted(wrong)}; {summary}"
    if "open_questions" in expect:
        has = bool(result["open_questions"])
        assert has is expect["open_questions"], f"{path.name}: open_questions present={has}; {result['open_questions']}"
    for finding in result["findings"]:
        assert finding["because"], f"{path.name}: {finding['id']} fired without a 'because'"
