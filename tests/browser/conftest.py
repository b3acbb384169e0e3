"""Browser fixtures: the real app served on a loopback port (SQLite only), Debian's chromium via Playwright.

* ``template_db`` (session): one migrated SQLite file with the shipped checklists published, the five
  demo proposals and three users (stella: staff, carl: council, ada: admin+staff). Building it once
  keeps the suite fast (argon2 hashing and migrations run once).
* ``live_server`` (module): a copy of that file served by werkzeug in a daemon thread, so tests in one
  module share state (e.g. a published release) but modules never see each other's changes.
* ``browser`` (session) and ``page`` (function): a fresh context per test, with ``bypass_csp`` so
  axe-core can be injected despite the app's strict Content-Security-Policy. Nothing is downloaded:
  the browser is the system chromium and axe-core comes from node_modules (``npm install``).

CSRF protection stays on: every form is submitted the way a user would submit it.
"""
from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("RISKDESK_LOGIN_RATE_LIMIT", "1000 per minute")

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from riskdesk import create_app  # noqa: E402
from riskdesk.db import upgrade  # noqa: E402
from riskdesk.models import User  # noqa: E402
from riskdesk.users.passwords import hash_password  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery staple"  # same as tests/conftest.py
USERS = {"stella": ["staff"], "carl": ["council"], "ada": ["admin", "staff"]}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 20_000  # generous: the impact preview re-scores every proposal, and CI machines are shared
expect.set_options(timeout=TIMEOUT_MS)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def _config(db_file: Path, root: Path) -> dict:
    return {
        "TESTING": True, "DATABASE_URL": f"sqlite:///{db_file}", "SECRET_KEY": "browser-test-secret",
        "INSTANCE_PATH": str(root / "instance"), "REPORTS_DIR": str(root / "reports"),
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
    }


def _make_user(session, username: str, roles: list[str]) -> None:
    user = User(username=username, display_name=username, password_hash=hash_password(PASSWORD))
    user.roles = roles
    session.add(user)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    from riskdesk.demo import load

    root = tmp_path_factory.mktemp("browser-template")
    db_file = root / "riskdesk.sqlite3"
    upgrade(f"sqlite:///{db_file}")
    app = create_app(_config(db_file, root))
    session = app.extensions["riskdesk.sessionmaker"]()
    try:
        load(session)  # publishes the shipped checklists and adds the demo proposals
        for username, roles in USERS.items():
            _make_user(session, username, roles)
        session.commit()
    finally:
        session.close()
        app.extensions["riskdesk.engine"].dispose()
    return db_file


@dataclass
class LiveServer:
    url: str
    app: object

    def session(self):
        return self.app.extensions["riskdesk.sessionmaker"]()


@pytest.fixture(scope="module")
def live_server(template_db, tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-app")
    db_file = root / "riskdesk.sqlite3"
    shutil.copy(template_db, db_file)
    app = create_app(_config(db_file, root))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="riskdesk-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["riskdesk.engine"].dispose()


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install -y chromium)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer):
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def _login(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/auth/login" not in page.url, f"login as {username} failed: still on {page.url}"


@pytest.fixture(scope="session")
def password() -> str:
    """The password every test user has."""
    return PASSWORD


@pytest.fixture(scope="module")
def _session_cookies() -> dict[str, list]:
    return {}


@pytest.fixture
def login(page: Page, _session_cookies):
    """``login("stella")`` signs in through the login form and waits until the app has redirected.

    The first sign-in per user and module goes through the form; later ones reuse its session cookie
    (argon2 verification is deliberately slow, and the login form has its own tests).
    """
    def sign_in(username: str) -> None:
        if username in _session_cookies:
            page.context.add_cookies(_session_cookies[username])
            return
        _login(page, username)
        _session_cookies[username] = page.context.cookies()
    return sign_in


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm install` in {PROJECT_ROOT}")
    return AXE_JS.read_text(encoding="utf-8")


def _format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {len(targets)} node(s): {targets[:10]}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def format_violations():
    """One line per axe violation: rule id, impact, help text and the CSS targets of the failing nodes."""
    return _format_violations


@pytest.fixture
def axe(page: Page, axe_source: str):
    """Run axe-core on the current page with the WCAG 2.0/2.1 A and AA rules; return its violations."""
    def run() -> list[dict]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.add_script_tag(content=axe_source)
        return page.evaluate(
            """async (tags) => {
                const result = await window.axe.run(document, {
                    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
                return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => ({target: n.target}))}));
            }""",
            AXE_TAGS,
        )
    return run
