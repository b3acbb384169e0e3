"""The matcher's rules about how names are built (session 3 of issue 15): rare and common listed
names, organisation-type words, organisations listed by one word, later given names, Arabic name
chains without their family name, and the transliterations folded in normalisation.

Each rule is tested on a small list made here, with a case it must find and a case it must not:
a rule that is too loose fails the second, a rule that is gone fails the first."""

from __future__ import annotations

from riskdesk.engine.screening.importers import ListEntry
from riskdesk.engine.screening.matcher import DEFAULT_THRESHOLD, Matcher
from riskdesk.engine.screening.normalize import name_tokens, phonetic


def _matcher(*rows: tuple[str, str, str]) -> Matcher:
    return Matcher([ListEntry(uid=uid, source="t", name=name, kind=kind) for uid, name, kind in rows])


def _uids(hits):
    return [h.entry.uid for h in hits]


# filler parties so that the common names below are common in the list, as they are on the SDN list
_COMMON = [(f"c{i}", f"{last}, {first}", "person") for i, (last, first) in enumerate(
    [("AZIZ", "Omar"), ("AZIZ", "Khalid"), ("AZIZ", "Samir"), ("AZIZ", "Yusuf"), ("HASSAN", "Tariq"),
     ("SALEH", "Tariq"), ("OMAR", "Tariq"), ("NASSER", "Tariq")])]


def test_extra_names_cost_little_beside_a_rare_listed_name_and_much_beside_a_common_one():
    m = _matcher(("1", "NKUNDABATWARE, Laurent", "person"), ("2", "AZIZ, Tariq", "person"), *_COMMON)
    (hit,) = m.screen("NKUNDABATWARE Mahoro Batware Laurent")
    assert hit.entry.uid == "1" and hit.score >= DEFAULT_THRESHOLD
    assert "2" not in _uids(m.screen("Tariq Mahmoud Aziz Hamdan"))
    assert "2" in _uids(m.screen("Tariq Aziz"))  # the name itself still hits


def test_organisation_type_words_cost_little_and_may_stand_in_for_each_other():
    m = _matcher(("1", "AL-QUDS MARTYRS BRIGADE", "entity"), ("2", "VOTKINSKIY ZAVOD", "entity"),
                 ("3", "INDUSTRIAL BANK", "entity"))
    assert _uids(m.screen("Al-Quds Martyrs Battalion")) == ["1"]
    assert _uids(m.screen("Votkinsk Plant")) == ["2"]
    assert _uids(m.screen("Al-Quds Martyrs Brigade Foundation Office")) == ["1"]
    # a place after "of" is not a type word: another bank
    assert m.screen("Industrial Bank of Korea") == []


def test_an_organisation_listed_by_one_rare_word_is_found_with_its_type_words():
    m = _matcher(("1", "BELNEFTEKHIM", "entity"), ("2", "LINDAVIA", "vessel"))
    assert _uids(m.screen("Belneftekhim Concern")) == ["1"]
    assert _uids(m.screen("Concern Belneftekhim")) == ["1"]
    assert m.screen("Lindavia Shipping Agency") == []  # a vessel's name is not an organisation's


def test_one_more_word_only_when_no_other_listed_party_holds_the_word():
    m = _matcher(("1", "SYRIATELCO", "entity"), ("2", "PAO ROSNEFT", "entity"),
                 ("3", "ROSNEFT TRADING S.A.", "entity"))
    (hit,) = m.screen("Syriatelco Mobile")
    assert hit.entry.uid == "1" and hit.score < 100
    assert _uids(m.screen("Rosneft Trading")) == ["3"]
    assert m.screen("Syriatelko Mobile") == []  # with another word, the listed one must be spelled the same


def test_a_person_is_found_by_a_later_given_name_but_not_with_another_first_name():
    m = _matcher(("1", "ZAMBRANO ORTEGA, Maria del Rocio", "person"),
                 ("2", "KOZLOVSKY, Pavel Yuryevich", "person"))
    (hit,) = m.screen("ZAMBRANO ORTEGA, Rocio")
    assert hit.entry.uid == "1" and DEFAULT_THRESHOLD <= hit.score <= 97
    assert "without its first given name" in hit.why
    assert hit.matched_name == "ZAMBRANO ORTEGA, Maria del Rocio"  # the report's "Listed name" is on the list
    assert m.screen("Rocio Ana Zambrano Ortega") == []  # "Ana" is another first name
    # a patronymic is never a given name to be known by
    assert m.screen("Yuryevich Kozlovsky") == []


def test_an_arabic_name_chain_is_found_without_its_family_name_when_three_names_agree():
    m = _matcher(("1", "AL-BAGHDADI, Qusay Hatem Jabbar", "person"),
                 ("2", "AL-MOSULI, Muhammad Zuhair abd-al-Sattar", "person"))
    (hit,) = m.screen("JABBAR, Qusay Hatem")
    assert hit.entry.uid == "1" and hit.score <= 97
    assert "without its family name" in hit.why
    assert m.screen("Muhammad Sattar") == []  # two names of a chain fit too many people


def test_transliterations_folded_by_the_phonetic_key():
    assert phonetic("cheema") == phonetic("chima")  # doubled long vowels
    assert phonetic("rasheed") == phonetic("rashid")
    assert phonetic("radzkou") == phonetic("radzkov")  # Belarusian -ou
    assert phonetic("mikhailavich") == phonetic("mikhailovich")  # Belarusian akanye
    assert phonetic("mykola") == phonetic("nikolai")  # the Ukrainian form of a Russian given name
    assert phonetic("oleksandrovych") == phonetic("aleksandrovich")
    assert phonetic("fawwaz") == phonetic("fawaz")


def test_joined_arabic_and_south_asian_name_parts():
    m = _matcher(("1", "KHOURY, 'Abd al-Karim", "person"), ("2", "QURESHI, Nasir-ud-Din", "person"),
                 ("3", "BIN AL SHARQI, Hamza", "person"))
    assert _uids(m.screen("KHOURY, Abdulkarim")) == ["1"]
    assert _uids(m.screen("QURESHI, Nasir Uddin")) == ["2"]
    assert _uids(m.screen("BINALSHARQI, Hamza")) == ["3"]
    assert name_tokens("Nasir-ud-Din") == ("nasir", "ud", "din")  # joined only for comparison


def test_why_texts_say_what_the_rule_saw():
    m = _matcher(("1", "TUPIKIN, Nikolai Aleksandrovich", "person"), ("2", "BELNEFTEKHIM", "entity"))
    (hit,) = m.screen("ТУПІКІН Микола Олександрович")
    assert "'mikola' is the Ukrainian form of the name 'nikolai'" in hit.why
    assert "transliterations of the same sounds" not in hit.why
    (hit,) = m.screen("Belneftekhim Concern")
    assert "'concern' only says what kind of organisation it is" in hit.why
