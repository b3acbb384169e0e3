import json
import subprocess
import sys

import pytest

from riskdesk.engine.document import (
    DocumentError,
    dump_yaml,
    field_registry,
    load_document,
    normalize,
    validate,
)

MINIMAL = {"title": "Sister city with Lyon", "city": {"name": "Austin", "state": "TX"},
           "agreement": {"type": "sister_city"}, "partner": {"name": "Ville de Lyon", "country": "FR"}}


def test_minimal_document_is_valid_and_normalises_with_defaults():
    assert validate(MINIMAL) == []
    doc = normalize(MINIMAL)
    assert doc["funding"]["travel_paid_by_partner"] == "unknown"
    assert doc["intermediaries"] == [] and doc["agreement"]["duration_years"] is None
    assert normalize(doc) == doc  # idempotent


def test_every_problem_is_named_with_its_path():
    bad = {"title": "x", "city": {"name": "A", "state": "ZZ", "population": -5},
           "agreement": {"type": "alliance", "duration_years": 500},
           "partner": {"name": "P", "country": "XX", "kind": "spy"},
           "people": [{"name": ""}], "funding": {"travel_paid_by_partner": "maybe"}, "surprise": 1}
    problems = {p.path: p.message for p in validate(bad)}
    assert problems["partner.country"] == "'XX' is not an ISO 3166-1 country code"
    assert "not a US state" in problems["city.state"]
    assert "out of range" in problems["city.population"]
    assert "out of range" in problems["agreement.duration_years"]
    assert "'alliance' is not one of" in problems["agreement.type"]
    assert "'spy' is not one of" in problems["partner.kind"]
    assert problems["people.0.name"] == "must not be empty"
    assert "'maybe' is not one of" in problems["funding.travel_paid_by_partner"]
    assert "surprise" in problems[""]
    assert problems["title"].startswith("must be at least")


def test_missing_required_fields_are_listed():
    problems = {str(p) for p in validate({"title": "Only a title"})}
    assert {"city: is required", "agreement: is required", "partner: is required"} <= problems


def test_text_lengths_are_bounded():
    doc = {**MINIMAL, "summary": "x" * 5001}
    assert [p.path for p in validate(doc)] == ["summary"]


def test_unquoted_yes_no_stay_answers_not_booleans():
    doc = load_document("title: Exchange with Lyon\ncity: {name: Austin, state: TX}\n"
                        "agreement: {type: mou, exit_clause: yes, auto_renewal: no}\n"
                        "partner: {name: Lyon, country: FR}\n")
    assert doc["agreement"]["exit_clause"] == "yes" and doc["agreement"]["auto_renewal"] == "no"


def test_yaml_and_json_round_trip_exactly():
    doc = normalize({**MINIMAL, "people": [{"name": "Zhang San", "country": "CN"}], "sectors": ["tourism"]})
    assert load_document(dump_yaml(doc), "x.yaml") == doc
    assert load_document(json.dumps(doc), "x.json") == doc


def test_syntax_errors_name_the_line():
    with pytest.raises(DocumentError) as info:
        load_document("title: [unclosed\ncity: x\n", "bad.yaml")
    assert "line" in str(info.value)


def test_field_registry_knows_kinds_and_repeated_rows():
    fields = field_registry()
    assert fields["funding.travel_paid_by_partner"].kind == "tristate"
    assert fields["people.country"].repeated and fields["people.country"].kind == "country"
    assert fields["sectors"].kind == "list" and "ports_logistics" in fields["sectors"].values
    assert fields["agreement.text"].kind == "text"


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "riskdesk", *args], capture_output=True, text=True, cwd=cwd)


def test_validate_cli_exit_codes(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(dump_yaml(MINIMAL))
    ok = run_cli("validate", str(good))
    assert ok.returncode == 0 and "valid" in ok.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**MINIMAL, "partner": {"name": "P", "country": "XX"}, "city": {"name": "A", "state": "QQ"}}))
    result = run_cli("validate", str(bad))
    assert result.returncode == 2
    assert "partner.country: 'XX' is not an ISO 3166-1 country code" in result.stderr
    assert "city.state" in result.stderr and result.stdout == ""


def test_docs_intake_md_is_generated_from_the_schema():
    from riskdesk.engine.docgen import DOC_PATH, render

    assert DOC_PATH.read_text(encoding="utf-8") == render(), "run: python -m riskdesk.engine.docgen"
    for path in field_registry():
        assert path.split(".")[-1] in render()
