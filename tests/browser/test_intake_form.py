"""The intake form in a real browser: every answer survives a draft save, a reload, an edit and a bad submit.

The form is generated from the intake JSON Schema, so the tests walk whatever controls the page has and
give each one a non-default answer (tri-states alternate yes/no, selects pick a real option, every text
box gets its own text). A field that the app dropped, renamed or failed to restore fails the test.
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

CONTROLS_JS = """() => Array.from(document.querySelectorAll(
    'form[enctype="multipart/form-data"] input, form[enctype="multipart/form-data"] select,'
    + 'form[enctype="multipart/form-data"] textarea'))
  .map(e => ({tag: e.tagName.toLowerCase(), type: e.type, name: e.name, value: e.value, checked: e.checked,
              options: e.tagName === 'SELECT' ? Array.from(e.options).map(o => o.value) : null}))"""

# Answers with meaning; every other control gets a generated one.
TEXT = {
    "document-title": "Technical cooperation MoU with Example City",
    "document-summary": "Water and smart-city cooperation.\nSecond line: pilots with the port.",
    "document-city-name": "Springfield",
    "document-agreement-text": "Article 1. The parties will cooperate.\nArticle 9. Either party may withdraw.",
    "document-partner-name": "Example City People's Government",
    "document-partner-city": "Example City",
    "document-partner-region": "Example Province",
    "document-intermediaries-0-name": "Example Friendship Association",
    "document-intermediaries-0-role": "facilitator",
    "document-people-0-name": "Li Example",
    "document-people-0-role": "Deputy mayor",
    "document-people-0-affiliation": "Example City Foreign Affairs Office",
    "document-data_and_technology-vendors": "Acme Networks\nGlobex Systems",
    "document-governance-signatory": "Mayor",
    "document-context-prior_incidents": "A 2023 visit was cancelled at short notice & re-booked <quietly>.",
}
NUMBERS = {
    "document-city-population": "170000",
    "document-agreement-duration_years": "5",
    "document-funding-city_cost_usd": "2500.5",
    "document-funding-partner_funding_usd": "12000.25",
    "document-context-months_to_next_election": "14",
}
SELECTS = {
    "document-city-state": "TN",
    "document-agreement-type": "technical_cooperation",
    "document-agreement-status": "renewal",
    "document-partner-country": "CN",
    "document-partner-kind": "municipal_government",
    "document-origin-proposed_by": "intermediary",
    "document-intermediaries-0-country": "HK",
    "document-intermediaries-0-kind": "friendship_association",
    "document-people-0-country": "CN",
    "document-data_and_technology-data_sharing": "personal",
    "document-data_and_technology-hosting_country": "SG",
}
CHECKS = {
    "document-sectors": {"education_youth", "smart_city_data", "ports_logistics", "water_wastewater"},
    "document-commitments-un_agendas": {"agenda_2030_sdgs", "paris_agreement"},
}
# Controls that are not answers of the document.
NOT_ANSWERS = re.compile(r"^(csrf_token|version_id|attachment|save_draft|save|add_intermediary|add_person)$|-remove$")
TRISTATE = {"unknown", "yes", "no"}


def controls(page: Page) -> list[dict]:
    return [c for c in page.evaluate(CONTROLS_JS) if not NOT_ANSWERS.search(c["name"])]


def answers(page: Page) -> dict[str, object]:
    """What the form on the page currently holds, by field name (checkbox groups as sets)."""
    result: dict[str, object] = {}
    for c in controls(page):
        if c["type"] == "checkbox":
            group = result.setdefault(c["name"], set())
            if c["checked"]:
                group.add(c["value"])
        else:
            result[c["name"]] = c["value"]
    return result


def fill_everything(page: Page, **overrides: str) -> dict[str, object]:
    """Give every answer control a non-default value; return the answers as ``answers()`` will report them."""
    expected: dict[str, object] = {}
    tristate_index = 0
    for c in controls(page):
        name, locator = c["name"], page.locator(f'[name="{c["name"]}"]')
        if c["type"] == "checkbox":
            wanted = CHECKS.get(name, {c["value"]} if not expected.get(name) else set())
            expected.setdefault(name, set())
            if c["value"] in wanted:
                page.locator(f'[name="{name}"][value="{c["value"]}"]').check()
                expected[name].add(c["value"])
            continue
        if c["tag"] == "select":
            if name in overrides or name in SELECTS:
                value = overrides.get(name, SELECTS.get(name))
            elif set(c["options"]) == TRISTATE:
                value = "yes" if tristate_index % 2 == 0 else "no"
                tristate_index += 1
            else:  # a select the test does not know yet: pick a real option that is not the default
                value = next(o for o in reversed(c["options"]) if o and o != c["value"])
            locator.select_option(value)
        elif c["type"] == "number":
            value = overrides.get(name, NUMBERS.get(name, "7"))
            locator.fill(value)
        else:
            value = overrides.get(name, TEXT.get(name, f"Answer for {name.removeprefix('document-')}"))
            locator.fill(value)
        expected[name] = value
    return expected


def assert_same_answers(actual: dict, expected: dict) -> None:
    problems = []
    for name, want in expected.items():
        if name not in actual:
            problems.append(f"{name}: field is missing from the page")
            continue
        got = actual[name]
        if name in NUMBERS and got and want:
            same = float(got) == float(want)
        else:
            same = got == want
        if not same:
            problems.append(f"{name}: expected {want!r}, got {got!r}")
    assert not problems, "answers lost or changed:\n" + "\n".join(problems)


def open_new_form_with_rows(page: Page) -> None:
    page.goto("/proposals/new")
    page.get_by_role("button", name="Add an intermediary").click()
    expect(page.locator('[name="document-intermediaries-0-name"]')).to_be_visible()
    page.get_by_role("button", name="Add a person").click()
    expect(page.locator('[name="document-people-0-name"]')).to_be_visible()
    # adding the person row kept the intermediary row
    expect(page.locator('[name="document-intermediaries-0-name"]')).to_be_visible()


def test_whole_form_survives_draft_save_reload_and_edit(page, login):
    login("stella")
    open_new_form_with_rows(page)
    expected = fill_everything(page)
    # the walk really covered every section, row and kind of control
    for name in ("document-title", "document-city-state", "document-city-population", "document-partner-country",
                 "document-agreement-legally_binding", "document-intermediaries-0-name",
                 "document-intermediaries-0-country", "document-people-0-name", "document-people-0-affiliation",
                 "document-sectors", "document-commitments-un_agendas", "document-data_and_technology-vendors",
                 "document-governance-signatory", "document-context-prior_incidents"):
        assert name in expected, f"{name} is not on the form"
    assert len(expected) >= 70, f"only {len(expected)} answer controls found"
    assert_same_answers(answers(page), expected)  # sanity: what we typed is what the page holds

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/proposals/\d+$"))
    proposal_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(TEXT["document-title"])

    page.goto(proposal_url + "/edit")
    assert_same_answers(answers(page), expected)
    assert page.locator('[name^="document-intermediaries-"][name$="-name"]').count() == 1
    assert page.locator('[name^="document-people-"][name$="-name"]').count() == 1

    # edit: one text field, one tri-state, one checkbox; everything else must stay as it was
    page.fill('[name="document-partner-city"]', "Example City (Binhai district)")
    page.select_option('[name="document-governance-legal_review"]', "unknown")
    page.locator('[name="document-sectors"][value="health"]').check()
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(proposal_url)

    page.goto(proposal_url + "/edit")
    expected.update({"document-partner-city": "Example City (Binhai district)",
                     "document-governance-legal_review": "unknown"})
    expected["document-sectors"] = expected["document-sectors"] | {"health"}
    assert_same_answers(answers(page), expected)


def test_bad_input_shows_errors_next_to_fields_and_keeps_every_answer(page, login):
    login("stella")
    open_new_form_with_rows(page)
    bad = {"document-partner-name": "", "document-city-state": "", "document-city-population": "-5"}
    expected = fill_everything(page, **bad)

    page.get_by_role("button", name="Save and check").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    assert re.search(r"/proposals/new$", page.url), "nothing is saved while the form has errors"

    for name in bad:
        field = page.locator(f'[name="{name}"]')
        expect(field).to_have_attribute("aria-invalid", "true")
        field_id = field.get_attribute("id")
        error = page.locator(f"#{field_id}-error")
        expect(error).to_be_visible()
        assert error.inner_text().strip(), f"{name}: empty error message"
        assert f"{field_id}-error" in (field.get_attribute("aria-describedby") or "").split()
        # the message stands next to its field: inside the same field wrapper
        assert field.locator("xpath=..").locator(f"#{field_id}-error").count() == 1
    # only the bad fields are marked
    invalid = set(page.eval_on_selector_all('[aria-invalid="true"]', "els => els.map(e => e.name)"))
    assert invalid == set(bad), f"fields marked invalid: {sorted(invalid)}"

    assert_same_answers(answers(page), expected)

    # fixing the three answers saves the proposal with everything else intact
    page.fill('[name="document-partner-name"]', "Example City People's Government")
    page.select_option('[name="document-city-state"]', "OR")
    page.fill('[name="document-city-population"]', "42000")
    page.get_by_role("button", name="Save and check").click()
    page.wait_for_url(re.compile(r"/proposals/\d+$"))
    page.goto(page.url + "/edit")
    expected.update({"document-partner-name": "Example City People's Government", "document-city-state": "OR",
                     "document-city-population": "42000"})
    assert_same_answers(answers(page), expected)
