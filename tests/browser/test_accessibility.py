"""axe-core (WCAG 2.0/2.1 A and AA rules) finds no violation on the pages people use.

Each case signs in as the right person, brings the page into the state worth checking (a form with
errors, a detail page with an assessment, the editor with an impact preview) and runs axe on it.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect


def _login_page(page: Page, login) -> None:
    page.goto("/auth/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def _login_page_with_error(page: Page, login) -> None:
    page.goto("/auth/login")
    page.fill("input[name=username]", "stella")
    page.fill("input[name=password]", "wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()


def _new_form(page: Page, login) -> None:
    login("stella")
    page.goto("/proposals/new")
    expect(page.get_by_role("button", name="Save draft")).to_be_visible()


def _form_with_errors(page: Page, login) -> None:
    login("stella")
    page.goto("/proposals/new")
    page.get_by_role("button", name="Add an intermediary").click()
    expect(page.locator('[name="document-intermediaries-0-name"]')).to_be_visible()
    page.get_by_role("button", name="Add a person").click()
    expect(page.locator('[name="document-people-0-name"]')).to_be_visible()
    page.fill('[name="document-title"]', "Ab")
    page.select_option('[name="document-partner-country"]', "FR")
    page.fill('[name="document-city-population"]', "-1")
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert page.locator('[aria-invalid="true"]').count() >= 3


def _proposals_list(page: Page, login) -> None:
    login("stella")
    page.goto("/proposals?q=mou")
    expect(page.get_by_text("Port cooperation MoU with a Chinese port group")).to_be_visible()


def _assessed_detail(page: Page, login) -> None:
    login("stella")
    page.goto("/proposals?q=port")
    page.get_by_role("link", name="Port cooperation MoU with a Chinese port group").click()
    page.get_by_role("button", name=re.compile(r"^(Re-)?[Aa]ssess$")).click()
    expect(page.get_by_text("Assessment done.")).to_be_visible()
    expect(page.get_by_role("heading", name="Assessment")).to_be_visible()


def _detail_with_screening_hit(page: Page, login) -> None:
    """An admin imports a slice of the real SDN list, imports a proposal whose partner is listed, assesses."""
    from tests.conftest import shared_dir

    login("ada")
    sdn = b"".join((shared_dir() / "data" / "ofac-sdn-2024-05-03.csv").read_bytes().splitlines(keepends=True)[:200])
    page.goto("/admin/lists")
    page.set_input_files("#file", files=[{"name": "sdn.csv", "mimeType": "text/csv", "buffer": sdn}])
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 200 records")).to_be_visible()
    document = (b"title: Trade exchange with a Havana bank\ncity: {name: Tampa, state: FL}\n"
                b"agreement: {type: economic_development}\npartner: {name: Banco Nacional de Cuba, country: CU}\n")
    page.goto("/proposals/import")
    page.set_input_files("#file", files=[{"name": "bank.yaml", "mimeType": "application/x-yaml", "buffer": document}])
    page.get_by_role("button", name="Import").click()
    page.get_by_role("button", name=re.compile(r"^(Re-)?[Aa]ssess$")).click()
    expect(page.get_by_role("button", name="Record decision")).to_be_visible()


def _council(page: Page, login) -> None:
    login("carl")
    page.goto("/council")
    expect(page.get_by_role("heading", name="Council", level=1)).to_be_visible()


def _admin_checklists(page: Page, login) -> None:
    login("ada")
    page.goto("/admin/checklists")
    expect(page.locator("#active-release")).to_be_visible()


def _editor_with_preview(page: Page, login) -> None:
    login("ada")
    page.goto("/admin/checklists/edit?file=scoring.yaml")
    page.get_by_role("button", name="Validate and preview impact").click()
    expect(page.locator("#impact")).to_be_visible()


def _editor_with_problems(page: Page, login) -> None:
    login("ada")
    page.goto("/admin/checklists/edit?file=scoring.yaml")
    page.fill("textarea[name=text]", "severity_points: {low: 1\n")
    page.get_by_role("button", name="Validate and preview impact").click()
    expect(page.locator("#problems")).to_be_visible()


def _users(page: Page, login) -> None:
    login("ada")
    page.goto("/admin/users")
    expect(page.get_by_text("carl").first).to_be_visible()


def _audit(page: Page, login) -> None:
    login("ada")
    page.goto("/admin/audit")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def _lists(page: Page, login) -> None:
    login("ada")
    page.goto("/admin/lists")
    expect(page.get_by_role("heading", level=1)).to_have_text("Restricted-party lists")


def _password(page: Page, login) -> None:
    login("stella")
    page.goto("/auth/password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change password")


def _api_tokens_with_new_token(page: Page, login) -> None:
    login("stella")
    page.goto("/account/tokens")
    page.fill("input[name=name]", "agenda system")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_be_visible()


def _api_docs(page: Page, login) -> None:
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", level=1)).to_contain_text("RiskDesk API")


PAGES = {
    "api-tokens": _api_tokens_with_new_token,
    "api-docs": _api_docs,
    "login": _login_page,
    "login-with-error": _login_page_with_error,
    "new-proposal-form": _new_form,
    "form-with-errors": _form_with_errors,
    "proposals-list": _proposals_list,
    "assessed-proposal-detail": _assessed_detail,
    "council": _council,
    "admin-checklists": _admin_checklists,
    "admin-lists": _lists,
    "detail-with-screening-hit": _detail_with_screening_hit,
    "password-change": _password,
    "checklist-editor-preview": _editor_with_preview,
    "checklist-editor-problems": _editor_with_problems,
    "admin-users": _users,
    "admin-audit": _audit,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_wcag_a_aa_violations(name, page, login, axe, format_violations):
    PAGES[name](page, login)
    violations = axe()
    assert not violations, f"axe-core violations on {name} ({page.url}):\n{format_violations(violations)}"


def test_axe_harness_reports_known_violations(page, axe, format_violations):
    """Guards the check itself: a page with known WCAG failures must not come back clean."""
    page.set_content('<html><head><title>t</title></head><body><main><img src="data:,">'
                     '<input type="text" name="q"></main></body></html>')
    ids = {v["id"] for v in axe()}
    assert {"html-has-lang", "image-alt", "label"} <= ids, ids
    assert "image-alt" in format_violations(axe())
