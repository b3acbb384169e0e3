"""Every answer people can give has a hand-written label, and labels never show codes."""
import pytest

from riskdesk.engine import labels


def all_enum_fields():
    return [path for path, node in labels._fields().items() if "enum" in node]


def test_every_enumerated_answer_has_a_hand_written_label():
    missing = []
    for path in all_enum_fields():
        values = labels.enum_values(path)
        if values == ["yes", "no", "unknown"]:
            continue
        table = labels.VALUE_LABELS.get(path)
        missing += [f"{path}={v}" for v in values if table is None or v not in table]
    assert missing == []


def test_every_field_has_a_label():
    assert all(labels.field_label(path) for path in labels._fields() if not path.endswith("[]"))


@pytest.mark.parametrize("path, value, words", [
    ("funding.federal_funds_involved", "yes", "Yes"),
    ("agreement.type", "mou", "MoU"),
    ("partner.kind", "ngo", "NGO"),
    ("commitments.un_agendas", ["agenda_2030_sdgs"], "UN 2030 Agenda / SDGs"),
    ("sectors", ["culture_arts", "smart_city_data"], "Culture and arts, Smart city and data"),
    ("intermediaries.0.kind", "state_owned_enterprise", "State-owned company"),
    ("funding.partner_funding_usd", None, "not given"),
    ("partner.country", "TW", "Taiwan"),
    ("partner.country", "FR", "France"),
])
def test_answers_read_as_words(path, value, words):
    assert labels.value_label(path, value) == words


def test_field_labels_come_from_the_schema_titles():
    assert labels.field_label("funding.federal_funds_involved") == "Federal funds involved"
    assert labels.field_label("people.2.name") == "Name"
    with pytest.raises(KeyError):
        labels.field_label("no.such.field")
