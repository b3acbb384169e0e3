"""Security tests (issue 6 items 1, 3 and 6; issue 5 item 4): XSS escaping in pages and the PDF,
CSRF on every POST endpoint, login rate limiting, session cookie flags, password change, open
redirects after login, and the audit trail's before/after on edits.

Tests that use ``app`` run on SQLite and PostgreSQL (see conftest). The rate-limit and cookie tests
build their own app on a copy of the SQLite template: they test the web layer, not the database.
"""
from __future__ import annotations

import io
import re
import shutil
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from sqlalchemy import select

from riskdesk import create_app
from riskdesk.engine.document import load_path
from riskdesk.models import AuditEvent, Proposal
from tests.conftest import CSRF_RE, PASSWORD, Browserless, make_user
from tests.test_web import DEMO, form_data, sample_url_args

# ---------------------------------------------------------------------------------------------
# 1. XSS corpus

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</textarea><svg onload=alert(1)>",
    "{{7*7}}",
    '<a href="javascript:alert(1)">x</a>',
    "'--><style>@import url(http://127.0.0.1:9/x)</style>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "';alert(1);//",
    "<body onload=alert(1)>",
]
# Raw markup that must never reach a page or the report HTML as markup.
FORBIDDEN = [
    "<script>alert(1)", "<img src=x onerror", "<svg onload", "</textarea><svg", '<a href="javascript:',
    "<style>@import", "<iframe", "<body onload",
]
# Escaped forms that must be there (Jinja/markupsafe escaping), proving the text was shown, not dropped.
ESCAPED = [
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&lt;img src=x onerror=alert(1)&gt;",
    "&lt;/textarea&gt;&lt;svg onload=alert(1)&gt;",
    "&lt;style&gt;@import url(http://127.0.0.1:9/x)&lt;/style&gt;",
]
TITLE = "XSS-TPL {{7*7}} <script>alert(1)</script> \"><img src=x onerror=alert(1)>"
ALL_PAYLOADS = " | ".join(PAYLOADS)


def xss_document() -> dict:
    """The port MoU demo with a payload in every free-text field (within the schema's max lengths)."""
    doc = load_path(DEMO[1])
    rot = iter(PAYLOADS * 4)
    doc["title"] = TITLE
    assert len(TITLE) <= 200
    doc["summary"] = "Summary: " + ALL_PAYLOADS
    doc["city"]["name"] = "Galveston " + next(rot)
    doc["agreement"]["text"] = "Agreement text: " + ALL_PAYLOADS
    doc["partner"].update(name="Partner " + next(rot), city="PCity " + next(rot), region="PRegion " + next(rot))
    doc["intermediaries"] = [
        {"name": "Broker " + next(rot), "country": "US", "kind": "private_company", "role": "Role " + next(rot)},
        {"name": "Broker2 " + next(rot), "country": "CN", "kind": "friendship_association",
         "role": "Role2 " + next(rot)},
    ]
    doc["people"] = [
        {"name": "Person " + next(rot), "role": "Prole " + next(rot), "affiliation": "Aff " + next(rot),
         "country": "CN"},
        {"name": "Person2 " + next(rot), "role": "Prole2 " + next(rot), "affiliation": "Aff2 " + next(rot),
         "country": "CN"},
    ]
    doc["data_and_technology"]["vendors"] = ["Vendor " + p for p in PAYLOADS[:4]]
    doc["governance"]["signatory"] = "Signatory " + next(rot)
    doc.setdefault("context", {})["prior_incidents"] = "Incidents: " + ALL_PAYLOADS
    for text in (doc["city"]["name"],):
        assert len(text) <= 120
    return doc


class _Scan(HTMLParser):
    """Collects what a browser would execute: event-handler attributes, javascript: URLs, scripts, @import."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction", "xlink:href", "data") and value \
                    and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in ("script", "style", "iframe", "object", "embed", "base"):
            self._in = tag
            if tag in ("iframe", "object", "embed", "base"):
                self.problems.append(f"<{tag}>")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script" and "alert" in data:
            self.problems.append("script with alert")
        if self._in == "style" and "127.0.0.1:9" in data:
            self.problems.append("style with @import of the payload URL")


def assert_escaped(page: str, where: str, *, expect_escaped=ESCAPED):
    for raw in FORBIDDEN:
        assert raw.lower() not in page.lower(), f"raw payload markup {raw!r} in {where}"
    scan = _Scan()
    scan.feed(page)
    assert not scan.problems, f"{where}: executable markup from user text: {scan.problems}"
    for escaped in expect_escaped:
        # Jinja escapes " as &#34; and ' as &#39;; tolerate either spelling of quotes.
        assert escaped in page, f"{where}: escaped form {escaped!r} missing (text dropped?)"
    assert "XSS-TPL 49" not in page, f"{where}: template injection evaluated {{{{7*7}}}}"


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def _pdf_active_content(pdf: bytes) -> list[str]:
    import pikepdf

    found = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        names = doc.Root.get("/Names")
        if names is not None:
            for key in ("/JavaScript", "/EmbeddedFiles"):
                if key in names:
                    found.append(f"Root/Names{key}")
        for key in ("/OpenAction", "/AA"):
            if key in doc.Root:
                found.append(f"Root{key}")
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary):
                for key in ("/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/Launch", "/AA"):
                    if key in obj:
                        found.append(key)
                if obj.get("/S") in (pikepdf.Name("/JavaScript"), pikepdf.Name("/Launch")):
                    found.append(f"action {obj.get('/S')}")
                uri = obj.get("/URI")
                if uri is not None and str(uri).strip().lower().startswith("javascript:"):
                    found.append(f"/URI {uri}")
    return found


def test_xss_corpus_is_escaped_in_pages_report_and_pdf(as_staff, as_admin, published, db_session):
    document = xss_document()
    data = form_data(document, save="1")
    data["document-data_and_technology-vendors"] = "\n".join(document["data_and_technology"]["vendors"])
    response = as_staff.post("/proposals/new", data, token_from="/proposals/new")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:3000]
    proposal = db_session.scalars(select(Proposal)).one()
    pid = proposal.id
    # the payloads were stored verbatim (escaping happens on output, not by mangling input)
    assert proposal.title == TITLE
    assert proposal.document["context"]["prior_incidents"] == "Incidents: " + ALL_PAYLOADS
    assert proposal.is_complete
    assert as_staff.post(f"/proposals/{pid}/assess").status_code in (302, 303)

    pages = {
        "detail": as_staff.get(f"/proposals/{pid}"),
        "edit": as_staff.get(f"/proposals/{pid}/edit"),
        "list": as_staff.get("/proposals?q=" + quote("XSS-TPL")),
        "report.html": as_staff.get(f"/proposals/{pid}/report.html"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        page = response.get_data(as_text=True)
        # the list and detail pages show the title, city and partner; the form and report show every field
        assert_escaped(page, where, expect_escaped=ESCAPED[:2] if where in ("list", "detail") else ESCAPED)
        assert "XSS-TPL {{7*7}}" in page, f"{where}: the title is missing or altered"
    # pages that show only the title/summary/audit text still escape it
    for where, url, client, expect in (("council", "/council", as_staff, []),
                                       ("audit", "/admin/audit", as_admin, ESCAPED[:1])):  # audit summary names the title
        response = client.get(url)
        assert response.status_code == 200
        assert_escaped(response.get_data(as_text=True), where, expect_escaped=expect)

    pdf_response = as_staff.get(f"/proposals/{pid}/report.pdf")
    assert pdf_response.status_code == 200 and pdf_response.data.startswith(b"%PDF")
    text = re.sub(r"\s+", "", _pdf_text(pdf_response.data))
    assert "XSS-TPL{{7*7}}" in text and "XSS-TPL49" not in text
    for payload in PAYLOADS:
        assert re.sub(r"\s+", "", payload) in text, f"payload {payload!r} not shown literally in the PDF"
    assert _pdf_active_content(pdf_response.data) == []


# ---------------------------------------------------------------------------------------------
# 2. CSRF on every POST endpoint


def test_every_post_endpoint_refuses_missing_or_bad_csrf_token(app, as_admin):
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        if rule.endpoint.startswith("api."):
            # The API is signed in by a Bearer token only, never by the session cookie, so a forged
            # cross-site request has nothing to ride on; tests/api/test_tokens_and_access.py proves a
            # cookie-signed request to the API is refused.
            continue
        url = rule.build(sample_url_args(rule))[1] if rule.arguments else rule.rule
        for data in ({}, {"csrf_token": "not-a-real-token"}):
            response = as_admin.client.post(url, data=data)
            assert response.status_code == 400, f"{rule.endpoint} accepted a POST with {data or 'no token'}"
            assert b"security token" in response.data, f"{rule.endpoint}: 400 for another reason than CSRF"
        checked.append(rule.endpoint)
    assert {"proposals.new", "proposals.assess", "council.issue_report", "users.manage", "users.logout",
            "users.password", "checklists.edit"} <= set(checked)
    # the refused logout did not sign the admin out, and a token-bearing request is not refused as CSRF
    assert as_admin.get("/admin/users").status_code == 200
    response = as_admin.post("/auth/logout", token_from="/proposals")
    assert response.status_code in (302, 303)


# ---------------------------------------------------------------------------------------------
# 3. and 4. Login rate limiting and session cookies (own apps on a copy of the SQLite template)


def _own_app(sqlite_template, tmp_path, name, **overrides):
    db_file = tmp_path / f"{name}.sqlite3"
    shutil.copy(sqlite_template, db_file)
    config = {"TESTING": True, "DATABASE_URL": f"sqlite:///{db_file}", "SECRET_KEY": "test-secret",
              "INSTANCE_PATH": str(tmp_path / f"{name}-instance"), "REPORTS_DIR": str(tmp_path / f"{name}-reports")}
    config.update(overrides)
    return create_app(config)


def _failed_login(client, username="stella", password="wrong password, wrong"):
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    return client.post("/auth/login", data={"csrf_token": token, "username": username, "password": password})


def test_login_is_rate_limited(sqlite_template, tmp_path):
    app = _own_app(sqlite_template, tmp_path, "a", LOGIN_RATE_LIMIT="3 per minute",
                   SESSION_COOKIE_SECURE=False)
    session = app.extensions["riskdesk.sessionmaker"]()
    make_user(session, "stella", ["staff"])
    session.close()
    client = app.test_client()
    assert [_failed_login(client).status_code for _ in range(3)] == [401, 401, 401]
    fourth = _failed_login(client)
    assert fourth.status_code == 429, "the 4th failed sign-in within a minute was not throttled"
    # even the right password is refused while throttled (no brute force through the limit)
    assert _failed_login(client, password=PASSWORD).status_code == 429
    # GET of the login page is not limited
    assert client.get("/auth/login").status_code == 200

    # A second app in the same process must have its own counters ...
    other = _own_app(sqlite_template, tmp_path, "b", LOGIN_RATE_LIMIT="3 per minute", SESSION_COOKIE_SECURE=False)
    assert _failed_login(other.test_client()).status_code == 401
    # ... and creating it must not wipe the first app's counters.
    still = _failed_login(client).status_code
    for each in (app, other):
        each.extensions["riskdesk.engine"].dispose()
    assert still == 429, "creating a second app reset the first app's sign-in counters"


def test_rate_limit_comes_from_the_environment_by_default(sqlite_template, tmp_path, monkeypatch):
    monkeypatch.setenv("RISKDESK_LOGIN_RATE_LIMIT", "2 per minute")
    app = _own_app(sqlite_template, tmp_path, "env", SESSION_COOKIE_SECURE=False)
    assert app.config["LOGIN_RATE_LIMIT"] == "2 per minute"
    client = app.test_client()
    assert [_failed_login(client).status_code for _ in range(3)] == [401, 401, 429]
    app.extensions["riskdesk.engine"].dispose()


def test_session_cookie_flags_in_production_config(sqlite_template, tmp_path, monkeypatch):
    monkeypatch.delenv("RISKDESK_INSECURE_COOKIES", raising=False)
    app = _own_app(sqlite_template, tmp_path, "prod", LOGIN_RATE_LIMIT="100 per minute")
    app.config["TESTING"] = False
    assert app.config["SESSION_COOKIE_SECURE"] is True
    session = app.extensions["riskdesk.sessionmaker"]()
    make_user(session, "stella", ["staff"])
    session.close()
    client = app.test_client()
    base = "https://riskdesk.example"
    page = client.get("/auth/login", base_url=base).get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    # over HTTPS Flask-WTF also checks the Referer (WTF_CSRF_SSL_STRICT), as a browser would send it
    response = client.post("/auth/login", base_url=base, headers={"Referer": base + "/auth/login"},
                           data={"csrf_token": token, "username": "stella", "password": PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "login did not set the session cookie"
    for cookie in cookies:
        parts = {p.strip().split("=")[0].lower(): p.strip() for p in cookie.split(";")}
        assert "secure" in parts, cookie
        assert "httponly" in parts, cookie
        assert parts.get("samesite", "").lower() == "samesite=lax", cookie
    for cookie in response.headers.getlist("Set-Cookie"):  # e.g. a remember-me cookie: same rules
        assert "Secure" in cookie and "HttpOnly" in cookie, cookie
    assert response.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    app.extensions["riskdesk.engine"].dispose()


# ---------------------------------------------------------------------------------------------
# 6. Password change


def test_password_change(app, as_staff, users, db_session):
    new_password = "a brand new passphrase 42"
    wrong = as_staff.post("/auth/password", {"current": "not my password!!", "new": new_password,
                                             "confirm": new_password}, token_from="/auth/password")
    assert wrong.status_code == 400
    page = wrong.get_data(as_text=True)
    assert 'id="current-error"' in page and "This is not your current password." in page
    assert new_password not in page and "not my password!!" not in page  # passwords are never echoed
    mismatch = as_staff.post("/auth/password", {"current": PASSWORD, "new": new_password,
                                                "confirm": new_password + "x"}, token_from="/auth/password")
    assert mismatch.status_code == 400 and "Passwords differ" in mismatch.get_data(as_text=True)
    short = as_staff.post("/auth/password", {"current": PASSWORD, "new": "short", "confirm": "short"},
                          token_from="/auth/password")
    assert short.status_code == 400 and 'id="new-error"' in short.get_data(as_text=True)
    assert not db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_change")).first()

    ok = as_staff.post("/auth/password", {"current": PASSWORD, "new": new_password, "confirm": new_password},
                       token_from="/auth/password")
    assert ok.status_code in (302, 303)
    assert Browserless(app.test_client()).login("stella", PASSWORD).status_code == 401
    assert Browserless(app.test_client()).login("stella", new_password).status_code in (302, 303)
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_change")).all()
    assert len(events) == 1 and events[0].actor == "stella" and events[0].object_id == str(users["staff"].id)
    assert new_password not in repr((events[0].before, events[0].after, events[0].summary))


# ---------------------------------------------------------------------------------------------
# 7. Open redirect after login

OFFSITE_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
]


def _browser_target(location: str, base="http://localhost/") -> str:
    """Resolve a Location header the way a browser does (WHATWG URL: \\ is /, tabs and newlines dropped)."""
    location = re.sub(r"[\t\n\r]", "", location).strip().replace("\\", "/")
    return urljoin(base, location)


def test_login_does_not_redirect_off_site(app, users):
    for target in OFFSITE_NEXT:
        client = Browserless(app.test_client())
        token = client.token("/auth/login")
        response = client.client.post("/auth/login?next=" + quote(target, safe=""),
                                      data={"csrf_token": token, "username": "stella", "password": PASSWORD})
        assert response.status_code in (302, 303), target
        resolved = _browser_target(response.headers["Location"])
        assert urlsplit(resolved).scheme in ("http", "https"), resolved
        assert urlsplit(resolved).netloc == "localhost", f"next={target!r} redirected off-site to {resolved!r}"


def test_login_keeps_a_local_next(app, users):
    client = Browserless(app.test_client())
    token = client.token("/auth/login")
    response = client.client.post("/auth/login?next=" + quote("/proposals?q=abc", safe=""),
                                  data={"csrf_token": token, "username": "stella", "password": PASSWORD})
    assert response.headers["Location"].endswith("/proposals?q=abc")


# ---------------------------------------------------------------------------------------------
# 8. Audit before/after on edit


def test_edit_records_before_and_after_of_changed_sections(as_staff, users, db_session):
    document = load_path(DEMO[1])
    assert as_staff.post("/proposals/new", form_data(document, save="1"),
                         token_from="/proposals/new").status_code in (302, 303)
    proposal = db_session.scalars(select(Proposal)).one()
    changed = dict(document, title="Port MoU, revised",
                   partner=dict(document["partner"], city="Shanghai"),
                   funding=dict(document["funding"], partner_funding_usd=99000))
    response = as_staff.post(f"/proposals/{proposal.id}/edit", form_data(changed, save="1", version_id="1"),
                             token_from="/proposals/new")
    assert response.status_code in (302, 303)
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.edit")).all()
    assert len(events) == 1
    event = events[0]
    assert event.actor == "stella" and event.actor_id == users["staff"].id
    assert event.object_type == "proposal" and event.object_id == str(proposal.id)
    assert set(event.before) == set(event.after) == {"title", "partner", "funding"}
    assert event.before["title"] == document["title"] and event.after["title"] == "Port MoU, revised"
    assert event.before["partner"]["city"] == "Ningbo" and event.after["partner"]["city"] == "Shanghai"
    assert event.before["funding"]["partner_funding_usd"] == 250000
    assert event.after["funding"]["partner_funding_usd"] == 99000
    assert "title" in event.summary and "partner" in event.summary
