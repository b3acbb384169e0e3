"""Daily work in a real browser: answering open questions in place, amending a decided proposal, the
duplicate guards, the error summary and the keyboard, and every main page on a 390 px phone screen.

Each phone check measures the page (no horizontal scroll of the page itself: wide content scrolls in its own
region), takes a full-page screenshot whose width must be the phone's, and runs axe-core at that size.
"""
from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PROJECT_ROOT

DEMO = PROJECT_ROOT / "demo"
PHONE = {"width": 390, "height": 844}
# Set RISKDESK_SCREENSHOTS=DIR to keep the phone screenshots for a person to look at.
SCREENSHOTS = Path(os.environ["RISKDESK_SCREENSHOTS"]) if os.environ.get("RISKDESK_SCREENSHOTS") else None


def _open(page: Page, title: str) -> None:
    page.goto("/proposals?q=" + title.split()[0])
    page.get_by_role("link", name=title).click()


def _assess(page: Page) -> None:
    page.get_by_role("button", name=re.compile(r"^(Re-)?[Aa]ssess$")).click()
    expect(page.get_by_text("Assessment done.")).to_be_visible()


def test_open_questions_are_answered_in_place_and_the_proposal_is_reassessed(page, login):
    login("stella")
    _open(page, "Port cooperation MoU with a Chinese port group")
    _assess(page)
    questions = page.locator("#open-questions")
    expect(questions.get_by_role("group", name="Governance")).to_be_visible()
    asked = questions.get_by_text("Will the council formally approve the agreement?")
    expect(asked).to_be_visible()
    link = questions.get_by_role("link", name="Answer “Council will formally approve” in the form")
    href = link.get_attribute("href")
    assert href.endswith("/edit#document-governance-council_approval")
    before = questions.locator(".question").count()
    council = questions.locator('fieldset.tristate:has(input[name="answer:governance.council_approval"])')
    council.get_by_label("Yes").check()
    questions.locator('fieldset.tristate:has(input[name="answer:agreement.exit_clause"])').get_by_label("Yes").check()
    questions.get_by_role("button", name="Save answers and re-assess").click()
    expect(page.get_by_text(re.compile(r"2 answers saved and the proposal re-assessed"))).to_be_visible()
    assert page.url.endswith("#open-questions")
    expect(page.get_by_text("Will the council formally approve the agreement?")).to_have_count(0)
    assert page.locator("#open-questions .question").count() < before
    expect(page.locator("#stale")).to_have_count(0)
    # the link to the form lands on the field itself
    page.goto(href)
    expect(page.locator("#document-governance-council_approval")).to_have_value("yes")


def test_a_decided_proposal_is_amended_and_decided_again(page, login):
    login("stella")
    _open(page, "Sister-city agreement with Vienne (France)")
    expect(page.locator("#status")).to_have_text("Approved")
    expect(page.get_by_role("heading", name="Decided: this proposal is locked")).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    page.get_by_label("What the amendment is for").fill("A youth football exchange is added")
    page.get_by_role("button", name="Start an amendment").click()
    expect(page.get_by_text("Amendment started.")).to_be_visible()
    page.fill('[name="document-title"]', "Sister-city agreement with Vienne (France), with football")
    page.get_by_role("button", name="Save and check").click()
    expect(page.get_by_text(re.compile("Proposal saved and checked: rated"))).to_be_visible()
    amendment = page.locator("#amendment")
    expect(amendment).to_contain_text("Approved")
    expect(amendment).to_contain_text("Demo data: approved by council resolution")
    expect(page.locator("#status")).to_have_text("Draft")
    for step in ("Submitted", "In review"):
        page.select_option("#to_status", label=step)
        page.fill("#reason", "Ready for the council")
        page.get_by_role("button", name="Record").click()
        expect(page.locator("#status")).to_have_text(step)
    url = page.url
    page.context.clear_cookies()
    login("carl")
    page.goto("/council")
    expect(page.locator("#amendments-h + p + ul")).to_contain_text("with football")
    page.goto(url)
    page.select_option("#to_status", label="Approved")
    page.fill("#reason", "Council vote on the amendment, 6-1")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#status")).to_have_text("Approved")
    expect(page.locator("#amendment")).to_have_count(0)
    expect(page.locator("#stale")).to_have_count(0)


def test_identical_imports_and_new_proposals_ask_before_creating(page, login):
    login("stella")
    content = (DEMO / "04_delegation_visit_de.yaml").read_bytes()
    upload = [{"name": "visit.yaml", "mimeType": "application/x-yaml", "buffer": content}]
    page.goto("/proposals/import")
    page.set_input_files("#file", files=upload)
    page.get_by_role("button", name="Import", exact=True).click()  # the demo loaded it already
    expect(page.get_by_role("heading", name="An identical proposal already exists")).to_be_visible()
    page.goto("/proposals?q=Freiburg")
    expect(page.locator("#result-count")).to_have_text("1 proposal.")
    page.goto("/proposals/import")
    page.set_input_files("#file", files=upload)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_role("button", name="Import anyway, as a second proposal").click()
    expect(page.get_by_text("Imported visit.yaml.")).to_be_visible()
    page.goto("/proposals?q=Freiburg")
    expect(page.locator("#result-count")).to_have_text("2 proposals.")
    # Save, Back, Save again on the new-proposal form
    page.goto("/proposals/new")
    page.fill('[name="document-title"]', "Early idea: a tie with Kyoto")
    page.get_by_role("button", name="Save draft").last.click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.go_back()
    page.fill('[name="document-title"]', "Early idea: a tie with Kyoto")
    page.get_by_role("button", name="Save draft").last.click()
    expect(page.get_by_role("heading", name="An identical proposal already exists")).to_be_visible()
    page.goto("/proposals?q=Kyoto")
    expect(page.locator("#result-count")).to_have_text("1 proposal.")


def test_error_summary_links_every_error_and_the_keyboard_never_adds_rows_by_accident(page, login):
    login("stella")
    page.goto("/proposals/new")
    # Enter in the title saves a draft; it does not add an intermediary
    page.fill('[name="document-title"]', "Pressing Enter in the title")
    page.press('[name="document-title"]', "Enter")
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.locator('[name="document-intermediaries-0-name"]')).to_have_count(0)
    # an add-row comes back at the new row with the focus in it
    page.goto("/proposals/new")
    page.get_by_role("button", name="Add an intermediary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#document-intermediaries-0-name")).to_be_focused()
    assert page.evaluate("() => window.scrollY") > 0, "the page came back at the top, not at the new row"
    # the error summary lists every error, links each to its field, and gets the focus
    page.fill('[name="document-title"]', "Ab")
    page.fill('[name="document-city-population"]', "-1")
    page.get_by_role("button", name="Save and check").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    assert links.count() == page.locator(".field .error, fieldset .error").count() >= 4
    expect(summary).to_contain_text("Title: Must be at least 3 characters")
    summary.get_by_role("link", name=re.compile("^Population")).click()
    expect(page.locator("#document-city-population")).to_be_focused()
    expect(page.get_by_text("(required)").first).to_be_visible()


def test_the_form_works_without_javascript(browser, live_server, password):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/auth/login")
        page.fill("input[name=username]", "stella")
        page.fill("input[name=password]", password)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/proposals/new")
        page.get_by_role("button", name="Add a person").click()
        expect(page.locator("#document-people-0-name")).to_be_focused()
        page.fill('[name="document-title"]', "Ab")
        page.get_by_role("button", name="Save and check").click()
        expect(page.locator("#error-summary")).to_contain_text("Title: Must be at least 3 characters")
    finally:
        context.close()


def _png_width(data: bytes) -> int:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", data[16:20])[0]


def _assessed(page: Page) -> None:
    _open(page, "Technical cooperation MoU with Example City People's Government")
    _assess(page)


PHONE_PAGES = {
    "login": ("", "/auth/login"),
    "proposals-list": ("stella", "/proposals"),
    "new-proposal-form": ("stella", "/proposals/new"),
    "import": ("stella", "/proposals/import"),
    "assessed-proposal": ("stella", _assessed),
    "decided-proposal-as-council": ("carl", "/proposals/1"),
    "council": ("carl", "/council"),
    "admin-checklists": ("ada", "/admin/checklists"),
    "checklist-editor": ("ada", "/admin/checklists/edit?file=scoring.yaml"),
    "admin-users": ("ada", "/admin/users"),
    "admin-audit": ("ada", "/admin/audit"),
    "admin-lists": ("ada", "/admin/lists"),
}


@pytest.mark.parametrize("name", list(PHONE_PAGES))
def test_every_main_page_fits_a_phone(name, page, login, axe, format_violations):
    who, where = PHONE_PAGES[name]
    page.set_viewport_size(PHONE)
    if who:
        login(who)
    if callable(where):
        where(page)
    else:
        page.goto(where)
    expect(page.locator("h1")).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page scrolls sideways ({width} px wide at {PHONE['width']} px)"
    header = page.evaluate("() => document.querySelector('header.site').getBoundingClientRect().height")
    assert header <= 120, f"{name}: the header takes {header:.0f} px of an {PHONE['height']} px screen"
    shot = page.screenshot(full_page=True, path=str(SCREENSHOTS / f"{name}.png") if SCREENSHOTS else None)
    assert _png_width(shot) == PHONE["width"]
    violations = axe()
    assert not violations, f"axe-core violations on {name} at 390 px:\n{format_violations(violations)}"
