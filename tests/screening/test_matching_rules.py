"""The matching rules of issue 15: short names, patronymics, transliteration, short forms,
linked aliases, appended locations, secondary attributes and honest "why" texts."""

from __future__ import annotations

import pytest

from riskdesk.engine.screening.attributes import attribute_penalty, birth_years, country_names
from riskdesk.engine.screening.importers import ListEntry
from riskdesk.engine.screening.matcher import DEFAULT_THRESHOLD, Matcher


def _uids(hits):
    return [h.entry.uid for h in hits]


@pytest.mark.parametrize("query", ["BYD Company Limited", "Embraer S.A.", "Yang Fang"])
def test_short_and_one_word_names_do_not_hit_other_words(sdn_matcher, query):
    # "BID" (an alias of SDN-25646), the vessel "AMBER", "FAN, Yang" are other names
    assert sdn_matcher.screen(query) == [], [(h.matched_name, h.score) for h in sdn_matcher.screen(query)]


def test_exact_short_name_still_hits(sdn_matcher):
    assert "SDN-25646" in _uids(sdn_matcher.screen("BID"))


def test_a_different_patronymic_is_a_different_person(sdn_matcher):
    assert "SDN-46002" in _uids(sdn_matcher.screen("Alexey Alexeyevich Novikov"))
    assert "SDN-46002" not in _uids(sdn_matcher.screen("Alexey Viktorovich Novikov"))


def test_ukrainian_transliteration_of_a_russian_name(sdn_matcher):
    (hit, *_) = sdn_matcher.screen("TIMCHENKO Hennadii Mykolaiovych")
    assert hit.entry.uid == "SDN-16666" and hit.score >= DEFAULT_THRESHOLD


def test_graded_alignment_tolerates_one_differing_word(sdn_matcher):
    # one of four words differs; the listed name is not "all or nothing" any more
    hits = sdn_matcher.screen("Eastern Turkistan Islamic Party", threshold=80)
    assert any("EASTERN TURKISTAN ISLAMIC" in h.entry.name for h in hits)


def test_organisation_short_form(sdn_matcher):
    (hit, *_) = sdn_matcher.screen("OMSKTRANSMASH")
    assert hit.entry.uid == "SDN-45025" and hit.score == 92.0
    assert "distinctive word of the listed name 'JSC OMSK TRANSPORT MACHINE FACTORY OMSKTRANSMASH'" in hit.why
    assert hit.matched_name == "JSC OMSK TRANSPORT MACHINE FACTORY OMSKTRANSMASH"  # a name the list gives
    # a word that two entries share is nobody's short form
    assert not any("distinctive word" in h.why for h in sdn_matcher.screen("TRANSPORT"))


def test_why_never_says_close_spelling_and_names_the_words(sdn_matcher):
    (hit, *_) = sdn_matcher.screen("Osama bin Muhammad bin Awad bin Laden")
    assert "close spelling" not in hit.why
    assert "'laden' and 'ladin' have the same consonants and differ in vowels" in hit.why
    (hit, *_) = sdn_matcher.screen("anglo-carribean co ltd")
    assert "'carribean' and 'caribbean'" in hit.why


def test_aliases_of_the_same_party_from_another_list(sdn, csl):
    matcher = Matcher([*sdn.entries, *csl.entries])
    hits = matcher.screen("MOJTAMAE SANATE HAFTOME TIR")  # an alias only the CSL gives for SDN-10863
    assert {"SDN-10863", "CSL-10863"} <= set(_uids(hits))
    sdn_hit = next(h for h in hits if h.entry.uid == "SDN-10863")
    assert "a name CSL: Specially Designated Nationals (SDN) - Treasury Department gives for '7TH OF TIR'" in sdn_hit.why
    assert "SDN-10863" not in _uids(Matcher(sdn.entries).screen("MOJTAMAE SANATE HAFTOME TIR"))


def test_csl_name_with_location_appended_and_cp1252_apostrophe(csl):
    entry = next(e for e in csl.entries if "Huawei Investment" in e.name)
    assert entry.name == "Gui\u2019an New District Huawei Investment Co., Ltd., Guiyang, Guizhou"
    (hit, *_) = Matcher(csl.entries).screen("Gui'an New District Huawei Investment Co., Ltd.")
    assert hit.entry is entry and hit.score == 100.0
    assert hit.matched_name == "Gui\u2019an New District Huawei Investment Co., Ltd."


PERSON = ListEntry(uid="T-9", source="Test", name="HADDAD, Karim", kind="person", countries=("Lebanon",),
                   remarks="DOB 12 Mar 1961; alt. DOB 1962; nationality Lebanon.")


def test_birth_year_and_country_demote_a_clash():
    m = Matcher([PERSON])
    (plain,) = m.screen("Karim Haddad")
    assert plain.score == 100.0
    assert birth_years(PERSON) == {1961, 1962}
    (same,) = m.screen("Karim Haddad", birth_year=1962, country="LB")
    assert same.score == 100.0
    assert m.screen("Karim Haddad", birth_year=1990) == []  # 100 - 15 < threshold
    (low,) = m.screen("Karim Haddad", birth_year=1990, threshold=80)
    assert low.score == 85.0 and "born 1990, while the listing gives 1961, 1962" in low.why
    (other,) = m.screen("Karim Haddad", country="FR", threshold=80)
    assert other.score == 94.0 and "country FR is not among the listing's countries" in other.why
    assert "lebanon" in country_names("LB")
    org = ListEntry(uid="T-10", source="Test", name="HADDAD TRADING", kind="entity", countries=("Lebanon",))
    assert attribute_penalty(org, country="FR") == (0.0, [])  # an organisation's branches sit anywhere
