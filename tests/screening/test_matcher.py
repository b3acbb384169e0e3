"""Matcher: hits with explanations, blocking, kinds, cleared records."""

from __future__ import annotations

import dataclasses

import pytest

from riskdesk.engine.screening.importers import ListEntry
from riskdesk.engine.screening.matcher import (
    CANDIDATES,
    DEFAULT_THRESHOLD,
    Hit,
    Matcher,
    clearance_key,
    is_cleared,
)


def _uids(hits):
    return [h.entry.uid for h in hits]


@pytest.mark.parametrize(
    ("query", "uid"),
    [
        ("Usama bin Muhammad bin Awad BIN LADIN", "SDN-6365"),  # natural order
        ("Usama Bin Ladin", "SDN-6365"),  # middle names dropped
        ("Osama bin Muhammad bin Awad bin Laden", "SDN-6365"),  # transliteration
        ("Anglo Caribbean Company Limited", "SDN-173"),  # legal form spelled out
        ("anglo-carribean co ltd", "SDN-173"),  # typo + case
        ("Banco Nacional de Cuba", "SDN-306"),
        ("BNC", "SDN-306"),  # alias
        ("Sberbank of Russia PJSC", "SDN-17018"),
        ("Joint-Stock Company Marshalglobal", "SDN-36359"),  # word break lost
        ("Михаил Александрович Лещенко", "SDN-36480"),  # Cyrillic script
    ],
)
def test_listed_variants_hit(sdn_matcher, query, uid):
    hits = sdn_matcher.screen(query)
    assert uid in _uids(hits), [(h.matched_name, h.score) for h in hits]
    hit = next(h for h in hits if h.entry.uid == uid)
    assert hit.is_match and DEFAULT_THRESHOLD <= hit.score <= 100


@pytest.mark.parametrize(
    "query",
    ["Jennifer Anderson", "Riverside Dental Group LLC", "Springfield Sister Cities International", "Linda Wood", "Bank"],
)
def test_ordinary_names_do_not_hit(sdn_matcher, query):
    assert sdn_matcher.screen(query) == []


def test_hit_carries_explanation_and_why(sdn_matcher):
    (hit, *_) = sdn_matcher.screen("Usama Bin Ladin")
    assert isinstance(hit, Hit) and hit.query == "Usama Bin Ladin"
    assert hit.entry.uid == "SDN-6365" and hit.matched_name == "BIN LADIN, Usama bin Muhammad bin Awad"
    ex = hit.explanation
    assert ex["normalized_query"] == "usama bin ladin"
    assert ex["normalized_match"] == "bin ladin usama bin muhammad bin awad"
    for feature in ("token_sort", "token_set", "alignment", "compact", "initials", "tokens_matched"):
        assert isinstance(ex[feature], float)
    assert ex["method"] == "alignment" and ex["missing_listed_tokens"] >= 2.0
    assert hit.score == ex["alignment"]
    assert "BIN LADIN, Usama" in hit.why and "OFAC SDN" in hit.why and "SDN-6365" in hit.why
    assert hit.why.endswith(".") and "\n" not in hit.why
    assert hit.to_dict()["entry"]["uid"] == "SDN-6365"


def test_alias_hit_names_the_alias(sdn_matcher):
    (hit,) = [h for h in sdn_matcher.screen("SAND SWAN") if h.entry.name == "EBANO"]
    assert hit.matched_name == "SAND SWAN" and "alias of 'EBANO'" in hit.why


def test_results_sorted_limited_and_one_per_entry(sdn_matcher):
    hits = sdn_matcher.screen("Muhammad Ali", limit=3, threshold=80)
    assert 1 <= len(hits) <= 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(set(_uids(hits))) == len(hits)
    assert all(not h.is_match or h.score >= DEFAULT_THRESHOLD for h in hits)
    assert sdn_matcher.screen("") == [] and sdn_matcher.screen("  ,.-  ") == []


def test_blocking_bounds_the_candidates(sdn_matcher):
    from riskdesk.engine.screening.normalize import name_tokens

    for q in ("Muhammad Ali", "Al Hassan", "Banco Nacional de Cuba", "Jennifer Anderson"):
        assert len(sdn_matcher._candidates(name_tokens(q))) <= CANDIDATES
    assert len(sdn_matcher._names) > 18000  # names + aliases all indexed


def test_screen_many(sdn_matcher):
    out = sdn_matcher.screen_many(["Usama Bin Ladin", "Jennifer Anderson"])
    assert list(out) == ["Usama Bin Ladin", "Jennifer Anderson"]
    assert out["Usama Bin Ladin"][0].entry.uid == "SDN-6365" and out["Jennifer Anderson"] == []


ENTRIES = (
    ListEntry(uid="T-1", source="Test", name="IVANOV, Ivan Petrovich", kind="person", programs=("P",)),
    ListEntry(uid="T-2", source="Test", name="IVANOV TRADING LLC", kind="entity"),
    ListEntry(uid="T-3", source="Test", name="IVANOV", kind="vessel"),
    ListEntry(uid="T-4", source="Test", name="Northern Star", aliases=("Severnaya Zvezda",), kind="unknown"),
)


def test_kind_filters():
    m = Matcher(ENTRIES)
    assert _uids(m.screen("Ivan Ivanov", kind="person")) == ["T-1"]
    assert "T-1" not in _uids(m.screen("Ivanov Trading", kind="entity"))
    assert "T-2" in _uids(m.screen("Ivanov Trading Limited", kind="entity"))
    assert _uids(m.screen("Ivanov", kind="vessel")) == ["T-3"]
    assert _uids(m.screen("Северная звезда")) == ["T-4"]
    only_people = Matcher(ENTRIES, kinds={"person"})
    assert [e.uid for e in only_people.entries] == ["T-1"]
    with pytest.raises(ValueError):
        Matcher(ENTRIES, threshold=101)


def test_threshold_is_configurable():
    strict, loose = Matcher(ENTRIES, threshold=99), Matcher(ENTRIES, threshold=70)
    assert strict.screen("Ivan Ivanow") == []
    (hit, *_) = loose.screen("Ivan Ivanow")
    assert hit.entry.uid == "T-1" and hit.is_match and hit.score < 99


def test_cleared_hit_stays_quiet_until_the_listing_changes():
    m = Matcher(ENTRIES)
    (hit,) = m.screen("Ivan Petrovich Ivanov", kind="person")
    key = clearance_key(hit)
    assert key == ("ivan ivanov petrovich", "T-1", ENTRIES[0].content_hash())
    cleared = {key}
    assert is_cleared(hit, cleared)
    assert m.screen("Ivan Petrovich Ivanov", kind="person", cleared=cleared) == []
    # the same person written differently normalises to the same query: still cleared
    assert m.screen("IVANOV, Ivan Petrovich", kind="person", cleared=cleared) == []
    # the list entry changes (new alias): the cleared decision no longer applies
    changed = dataclasses.replace(ENTRIES[0], aliases=("Vanya",))
    m2 = Matcher((changed, *ENTRIES[1:]))
    (again,) = m2.screen("Ivan Petrovich Ivanov", kind="person", cleared=cleared)
    assert again.entry.uid == "T-1" and not is_cleared(again, cleared)


def test_other_lists_screen_the_same_way(opensanctions, csl):
    m = Matcher(opensanctions.entries)
    (hit, *_) = m.screen("Джамбулат Галимов")  # Cyrillic for DZHAMBULAT GALIMOV
    assert hit.entry.name == "DZHAMBULAT GALIMOV" and hit.entry.source == "OpenSanctions: INTERPOL Red Notices"
    assert "OpenSanctions" in hit.why
    m = Matcher(csl.entries)
    (hit, *_) = m.screen("Adrian Manuel Hernández")
    assert hit.entry.name == "ADRIAN MANUEL HERNANDEZ" and hit.entry.source.startswith("CSL: Denied Persons")


def test_package_is_pure():
    """No web framework or database imports anywhere in riskdesk.screening."""
    import ast
    from pathlib import Path

    import riskdesk.engine.screening as pkg

    for path in Path(pkg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in {"flask", "sqlalchemy", "werkzeug", "flask_wtf", "alembic"}, (path.name, name)


def test_short_legal_forms_are_nearly_free_but_surnames_survive():
    m = Matcher(
        [
            ListEntry(uid="1", source="t", name="PAO, Yu Yi", kind="person"),
            ListEntry(uid="2", source="t", name="PAO ROSNEFT", kind="entity"),
            ListEntry(uid="3", source="t", name="ROSNEFT TRADING S.A.", kind="entity"),
        ]
    )
    assert _uids(m.screen("Pao Yu Yi")) == ["1"]
    assert _uids(m.screen("Yu Yi")) == []  # the surname is a core word
    assert _uids(m.screen("Rosneft")) == ["2"]
    assert _uids(m.screen("Public Joint Stock Company Rosneft")) == ["2"]
    assert _uids(m.screen("Rosneft Trading")) == ["3"]
