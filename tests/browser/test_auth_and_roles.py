"""Signing in, and what each role may open, driven through chromium."""
from __future__ import annotations

from playwright.sync_api import expect


def test_anonymous_visit_lands_on_login_page(page):
    response = page.goto("/proposals")
    assert response.ok
    assert "/auth/login" in page.url
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # the requested page is remembered for after signing in
    assert "next=" in page.url and "proposals" in page.url


def test_wrong_password_shows_error_and_stays_signed_out(page):
    page.goto("/auth/login")
    page.fill("input[name=username]", "stella")
    page.fill("input[name=password]", "not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    assert "/auth/login" in page.url
    expect(page.locator("input[name=password]")).to_have_attribute("aria-invalid", "true")
    # still anonymous: protected pages send us back to the login form
    page.goto("/proposals")
    assert "/auth/login" in page.url


def test_staff_login_reaches_proposals(page, password):
    page.goto("/proposals")  # login form with next=/proposals
    page.fill("input[name=username]", "stella")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/proposals")
    expect(page.get_by_role("button", name="Sign out stella")).to_be_visible()
    expect(page.get_by_role("link", name="New proposal")).to_be_visible()
    expect(page.get_by_text("Sister-city agreement with Vienne (France)")).to_be_visible()
    # staff is not an administrator
    expect(page.get_by_role("link", name="Checklists")).to_have_count(0)
    assert page.goto("/admin/checklists").status == 403


def test_council_sees_council_but_not_intake_or_admin(page, login):
    login("carl")
    response = page.goto("/council")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="New proposal")).to_have_count(0)
    expect(page.get_by_role("link", name="Checklists")).to_have_count(0)
    for url in ("/proposals/new", "/admin/checklists", "/admin/users", "/admin/checklists/edit?file=scoring.yaml"):
        assert page.goto(url).status == 403, f"council user should be refused {url}"
        assert "/auth/login" not in page.url


def test_admin_sees_admin_pages(page, login):
    login("ada")
    for url in ("/admin/checklists", "/admin/users", "/admin/audit", "/proposals/new", "/council"):
        assert page.goto(url).status == 200, url
