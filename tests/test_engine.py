"""The pure engine: operators, three-valued logic, jurisdiction and dates, explanations, monotonicity."""
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskdesk.engine import yamlsafe
from riskdesk.engine.checklists import build_release, load_release
from riskdesk.engine.checklists.model import CATEGORIES, SEVERITIES
from riskdesk.engine.document import dump_yaml, normalize
from riskdesk.engine.scoring import RATINGS, rate, score

ROOT = Path(__file__).resolve().parent.parent
SCORING = (ROOT / "checklists" / "scoring.yaml").read_text()
LISTS = {
    "lists/fa.yaml": """name: foreign_adversaries
title: Foreign adversaries (15 CFR 791.4)
source: {title: 15 CFR 791.4, url: "https://www.ecfr.gov/current/title-15/section-791.4", as_of: 2025-01-01, verified: 2026-11-22}
values: [CN, {value: RU, label: Russia}]
""",
    "lists/orgs.yaml": """name: influence_orgs
title: Influence organizations
source: {title: Example source, url: "https://example.gov/orgs", as_of: 2025-01-01, verified: 2026-11-22}
values:
  - {value: "Chinese People's Association for Friendship with Foreign Countries", aliases: [CPAFFC]}
""",
}


def release_with(*items: str, jurisdiction: str = ""):
    header = "pack: t\ntitle: Test\n" + (f"jurisdiction: {jurisdiction}\n" if jurisdiction else "") + "items:\n"
    return build_release({"scoring.yaml": SCORING, **LISTS, "t.yaml": header + "".join(items)})


def item(id_, when, effect="risk", severity="high", category="foreign_interference", extra=""):
    return (f"  - id: {id_}\n    category: {category}\n    effect: {effect}\n    severity: {severity}\n"
            f"    title: Item {id_} for testing\n    when: {when}\n    rationale: Why {id_} matters to the city.\n{extra}")


def doc(**overrides):
    base = {"title": "A test proposal", "city": {"name": "Austin", "state": "TX", "population": 100000},
            "agreement": {"type": "sister_city"}, "partner": {"name": "Wuhan", "country": "CN"}}
    for path, value in overrides.items():
        node = base
        *parents, last = path.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return normalize(base)


def fired(release, document, on=dt.date(2026, 11, 26)):
    return {f.id for f in score(document, release, on=on).findings}


OPERATOR_CASES = [
    ("{field: agreement.type, equals: sister_city}", {}, True),
    ("{field: agreement.type, equals: mou}", {}, False),
    ("{field: agreement.type, not_equals: mou}", {}, True),
    ("{field: partner.country, in: [CN, RU]}", {}, True),
    ("{field: partner.country, not_in: [CN, RU]}", {}, False),
    ("{field: partner.country, in_list: foreign_adversaries}", {}, True),
    ("{field: partner.country, in_list: foreign_adversaries}", {"partner__country": "FR"}, False),
    ("{field: sectors, contains_any: [ports_logistics]}", {"sectors": ["tourism", "ports_logistics"]}, True),
    ("{field: sectors, contains_any: [ports_logistics]}", {"sectors": ["tourism"]}, False),
    ("{field: funding.gifts_to_officials, is_unknown: true}", {}, True),
    ("{field: funding.gifts_to_officials, is_unknown: true}", {"funding__gifts_to_officials": "no"}, False),
    ("{field: agreement.text, is_blank: true}", {}, True),
    ("{field: city.population, gte: 50000}", {}, True),
    ("{field: city.population, lte: 50000}", {}, False),
    ("{field: city.population, gt: 100000}", {}, False),
    ("{field: city.population, lt: 100001}", {}, True),
    ("{field: agreement.text, mentions: [exclusive rights]}", {"agreement__text": "Grants EXCLUSIVE\n rights to..."}, True),
    ("{field: agreement.text, mentions: [exclusive]}", {"agreement__text": "non-exclusively"}, False),
    ("{field: intermediaries.name, mentions_list: influence_orgs}",
     {"intermediaries": [{"name": "Local branch of CPAFFC"}]}, True),
    ("{field: people.country, in_list: foreign_adversaries}",
     {"people": [{"name": "A", "country": "FR"}, {"name": "B", "country": "RU"}]}, True),
]


@pytest.mark.parametrize("when,overrides,expected", OPERATOR_CASES)
def test_every_operator(when, overrides, expected):
    release = release_with(item("OP", when))
    assert ("OP" in fired(release, doc(**overrides))) is expected


def test_unknown_answers_become_open_questions_not_no():
    release = release_with(item("TRAVEL", "{field: funding.travel_paid_by_partner, equals: \"yes\"}",
                                extra="    question: Will the partner pay for officials' travel?\n"),
                           item("NOTRAVEL", "{not: {field: funding.travel_paid_by_partner, equals: \"yes\"}}"))
    result = score(doc(), release)
    assert result.findings == ()
    assert result.open_questions == ("Will the partner pay for officials' travel?",
                                     "Answer “Travel paid by the partner” to decide: Item NOTRAVEL for testing")
    assert [u.missing for u in result.undetermined] == [("funding.travel_paid_by_partner",)] * 2
    assert fired(release, doc(funding__travel_paid_by_partner="yes")) == {"TRAVEL"}
    assert fired(release, doc(funding__travel_paid_by_partner="no")) == {"NOTRAVEL"}


def test_three_valued_all_and_any():
    unknown = "{field: funding.gifts_to_officials, equals: \"yes\"}"
    release = release_with(item("ALLF", f"{{all: [{unknown}, {{field: agreement.type, equals: mou}}]}}"),
                           item("ANYT", f"{{any: [{unknown}, {{field: agreement.type, equals: sister_city}}]}}"),
                           item("ALLU", f"{{all: [{unknown}, {{field: agreement.type, equals: sister_city}}]}}"))
    result = score(doc(), release)
    assert {f.id for f in result.findings} == {"ANYT"}  # any: one true child decides
    assert [u.id for u in result.undetermined] == ["ALLU"]  # all: false child decides ALLF, unknown leaves ALLU open


def test_because_texts_are_plain_words():
    release = release_with(item("TX", "{all: [{field: agreement.type, in: [sister_city, friendship_city]}, "
                                      "{field: partner.country, in_list: foreign_adversaries}]}"))
    (finding,) = score(doc(), release).findings
    assert finding.because == (
        "Agreement type: Sister-city agreement",
        'Partner country: China, which is on the list "Foreign adversaries (15 CFR 791.4)"',
    )


def test_state_packs_apply_only_in_their_state():
    release = release_with(item("TXONLY", "{field: agreement.type, equals: sister_city}"), jurisdiction="US-TX")
    assert fired(release, doc()) == {"TXONLY"}
    assert fired(release, doc(city__state="OR")) == set()


def test_items_apply_only_while_in_force():
    release = release_with(item("NEW", "{field: agreement.type, equals: sister_city}",
                                extra="    effective: {from: 2025-09-01, until: 2027-12-31}\n"))
    assert fired(release, doc(), on=dt.date(2025, 8, 31)) == set()
    assert fired(release, doc(), on=dt.date(2025, 9, 1)) == {"NEW"}
    assert fired(release, doc(), on=dt.date(2028, 1, 1)) == set()


def test_prohibition_makes_the_rating_critical():
    cite = ("    citations:\n      - {title: Tex. Gov't Code ch. 795, url: 'https://statutes.capitol.texas.gov/', "
            "verified: 2026-11-22, confidence: high}\n")
    release = release_with(item("BAN", "{field: agreement.type, equals: sister_city}", effect="prohibition",
                                severity="critical", category="legal_state", extra=cite))
    result = score(doc(), release)
    assert result.prohibited and result.rating == "critical"
    assert result.findings[0].citations[0]["verified"] == "2026-11-22"


finding_strategy = st.fixed_dictionaries({
    "category": st.sampled_from(CATEGORIES), "severity": st.sampled_from(SEVERITIES),
    "effect": st.sampled_from(["prohibition", "risk", "requirement", "gap"]),
})
SHIPPED = load_release(ROOT / "checklists")


@settings(max_examples=300, deadline=None)
@given(st.lists(finding_strategy, max_size=30), finding_strategy)
def test_rating_is_monotone(findings, extra):
    before = rate(findings, SHIPPED.scoring)
    after = rate(findings + [extra], SHIPPED.scoring)
    assert RATINGS.index(after["rating"]) >= RATINGS.index(before["rating"])
    assert after["score"] >= before["score"]
    for category in CATEGORIES:
        assert RATINGS.index(after["categories"][category]["rating"]) >= \
            RATINGS.index(before["categories"][category]["rating"])
    assert after["prohibited"] >= before["prohibited"]


def run_assess(*args, cwd):
    return subprocess.run([sys.executable, "-m", "riskdesk", "assess", *args], capture_output=True, text=True,
                          cwd=cwd, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_assess_cli_contract(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(dump_yaml(doc()))
    result = run_assess(str(path), "--format", "json", "--on", "2026-11-26", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"rating", "prohibited", "score", "categories", "findings", "open_questions",
                         "checklist_release"}
    assert data["rating"] in RATINGS and data["checklist_release"] == SHIPPED.hash
    for finding in data["findings"]:
        assert set(finding) >= {"id", "category", "effect", "severity", "title", "rationale", "because",
                                "citations", "mitigations"}
    text = run_assess(str(path), "--format", "text", cwd=ROOT)
    assert text.returncode == 0 and "Rating:" in text.stdout


def test_assess_cli_rejects_invalid_input_with_nothing_on_stdout(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("title: x\ncity: {name: A, state: ZZ}\nagreement: {type: bogus}\npartner: {name: P, country: XX}\n")
    result = run_assess(str(path), cwd=ROOT)
    assert result.returncode == 2 and result.stdout == ""
    for field in ("city.state", "agreement.type", "partner.country", "title"):
        assert field in result.stderr
    bad_date = run_assess(str(path), "--on", "2026-02-30", cwd=ROOT)
    assert bad_date.returncode == 2 and bad_date.stdout == ""


def test_assess_works_without_a_database_from_any_folder(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(dump_yaml(doc()))
    result = run_assess(str(path), cwd=tmp_path)  # no instance/, no DATABASE_URL
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "instance").exists()


def test_fast_truth_and_explanation_always_agree():
    """The engine skips explanations for items whose fast truth is False: both paths must agree."""
    from riskdesk.engine.checklists.conditions import Facts
    from riskdesk.engine.document import load_path

    documents = [load_path(p) for p in sorted((ROOT / "demo").glob("*.yaml"))]
    documents += [normalize(yaml_doc["document"]) for yaml_doc in (
        yamlsafe.load(p.read_text()) for p in sorted((ROOT / "tests" / "scenarios").glob("*.yaml")))]
    assert len(documents) > 30
    for document in documents:
        facts = Facts(document)
        for item in SHIPPED.items:
            assert item.condition.truth(facts) is item.condition.explain(facts).truth, (item.id, document["title"])
