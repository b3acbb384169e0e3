"""The job page's progress bar follows a running job (static/jobs.js polling the status JSON) and passes axe."""
from __future__ import annotations

import threading

import pytest
from playwright.sync_api import Page, expect

from riskdesk.jobs import kinds


@pytest.fixture
def controlled_job(monkeypatch, live_server):
    """A "re-assess" job that reports progress in steps the test releases (the server runs in this process)."""
    live_server.app.config["JOB_RETRY_DELAY"] = 0
    steps = [threading.Event(), threading.Event()]

    def stepped(ctx):
        ctx.progress(1, 4)
        steps[0].wait(30)
        ctx.progress(3, 4)
        steps[1].wait(30)
        ctx.progress(4, 4)
        return {"summary": "Re-assessed 4 proposals under the test release."}

    monkeypatch.setitem(kinds.KINDS, "reassess", kinds.JobKind("Re-assess proposals after a release", stepped))
    yield steps
    for step in steps:
        step.set()
    live_server.app.extensions["riskdesk.jobs"].wait(timeout=30)


def test_progress_bar_updates_while_the_job_runs_and_the_result_shows_when_it_ends(page: Page, login, axe,
                                                                                  format_violations, controlled_job):
    login("ada")
    page.goto("/admin/jobs")
    with page.expect_navigation():
        page.get_by_role("button", name="Re-assess proposals assessed under an older release").click()
    bar = page.locator("#job-progress")
    expect(bar).to_have_js_property("max", 4)
    expect(bar).to_have_js_property("value", 1)
    expect(page.locator("#job-state")).to_have_text("Running: 1 of 4 proposals done.")
    violations = axe()
    assert not violations, format_violations(violations)
    controlled_job[0].set()
    expect(bar).to_have_js_property("value", 3)
    expect(page.locator("#job-state")).to_have_text("Running: 3 of 4 proposals done.")
    controlled_job[1].set()
    expect(page.locator("#job-summary")).to_have_text("Re-assessed 4 proposals under the test release.")
    expect(bar).to_have_js_property("value", 4)
