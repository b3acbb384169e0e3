"""Tokens, the deny-by-default rule on every API operation (a url_map walk), cookies refused, rate limits."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from riskdesk import create_app
from riskdesk.models import ApiToken, AuditEvent
from riskdesk.users import services, tokens
from tests.api.conftest import ApiClient
from tests.conftest import PROJECT_ROOT

PROBLEM = "application/problem+json"
PUBLIC_API = {"api.openapi", "api.docs"}
# Each API operation and the page that does the same thing: both must admit exactly the same roles.
SAME_AS_PAGE = {
    "api.list_proposals": "proposals.index", "api.create_proposal": "proposals.new",
    "api.get_proposal": "proposals.detail", "api.update_proposal": "proposals.edit",
    "api.assess": "proposals.assess", "api.create_transition": "council.transition",
    "api.accept_mitigation": "council.mitigate", "api.adjudicate": "screening.adjudicate",
    "api.issue_report": "council.issue_report", "api.download_report": "council.report_issued",
    "api.import_snapshot": "screening.lists", "api.list_releases": "checklists.index",
    "api.audit_events": "audit.index", "api.audit_csv": "audit.csv_export",
}


def api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]


def concrete(rule) -> str:
    return re.sub(r"<int:[^>]+>", "1", str(rule))


def test_every_api_operation_is_role_checked_like_its_page(app, api):
    rules = api_rules(app)
    assert len(rules) >= 25
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, "allowed_roles", None)
        if rule.endpoint in PUBLIC_API:
            assert allowed is None
            continue
        assert allowed, f"{rule.endpoint} declares no roles"
        if rule.endpoint in SAME_AS_PAGE:
            assert allowed == app.view_functions[SAME_AS_PAGE[rule.endpoint]].allowed_roles, rule.endpoint
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            anonymous = api["anonymous"].client.open(concrete(rule), method=method)
            assert anonymous.status_code == 401 and anonymous.mimetype == PROBLEM, (rule, method)
            assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
            for role in ("staff", "council"):
                if role not in allowed:
                    refused = api[role].client.open(concrete(rule), method=method, headers=api[role].headers())
                    assert refused.status_code == 403 and refused.mimetype == PROBLEM, (rule, method, role)


def test_the_contract_and_docs_are_public_and_hold_every_operation(app, api):
    contract = api["anonymous"].get("/openapi.json")
    assert contract.status_code == 200
    document = contract.get_json()
    assert document["openapi"].startswith("3.1")
    operations = {(path, method) for path, ops in document["paths"].items() for method in ops}
    expected = {(re.sub(r"<int:([^>]+)>", r"{\1}", str(r)), m.lower()) for r in api_rules(app)
                if r.endpoint not in PUBLIC_API for m in r.methods - {"HEAD", "OPTIONS"}}
    assert operations == expected
    create = document["paths"]["/api/v1/proposals"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    intake = document["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]
    assert intake["required"] == ["title", "city", "agreement", "partner"]
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert document["components"]["securitySchemes"]["bearerToken"] == {"type": "http", "scheme": "bearer"}
    page = api["anonymous"].client.get("/api/v1/docs")
    assert page.status_code == 200 and "POST /api/v1/proposals" in page.get_data(as_text=True)


def test_a_signed_in_browser_session_does_not_open_the_api(as_staff):
    response = as_staff.client.get("/api/v1/proposals")
    assert response.status_code == 401 and response.mimetype == PROBLEM
    posted = as_staff.client.post("/api/v1/proposals", json={"title": "Cookie-borne"})
    assert posted.status_code == 401


def test_api_responses_set_no_cookie(api):
    response = api["staff"].get("/proposals")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_a_token_is_shown_once_and_stored_hashed(app, users, db_session):
    row, secret = tokens.create_token(db_session, users["staff"], "agenda system", 30)
    db_session.commit()
    assert secret.startswith("rdk_") and len(secret) > 40
    stored = db_session.get(ApiToken, row.id)
    assert stored.token_hash == tokens.hash_token(secret) and secret not in repr(vars(stored))
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.create")).one()
    assert secret not in repr(event.after) and secret not in event.summary
    with pytest.raises(tokens.TokenError) as refused:
        tokens.create_token(db_session, users["staff"], "  ", 400)
    assert refused.value.problems == ["name: give the token a name, e.g. the system that will use it",
                                      f"days: a token expires after 1 to {tokens.MAX_DAYS} days"]


def test_revoked_expired_and_disabled_tokens_are_refused(app, users, db_session):
    client_of = {}
    for label in ("revoked", "expired", "disabled", "good"):
        owner = users["admin"] if label == "disabled" else users["staff"]
        row, secret = tokens.create_token(db_session, owner, label)
        client_of[label] = (row, ApiClient(app, secret))
    tokens.revoke_token(db_session, client_of["revoked"][0], actor=users["staff"])
    client_of["expired"][0].expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    services.set_active(db_session, users["admin"], False, how="test")
    db_session.commit()
    for label in ("revoked", "expired", "disabled"):
        assert client_of[label][1].get("/proposals").status_code == 401, label
    assert client_of["good"][1].get("/proposals").status_code == 200
    assert client_of["good"][1].client.get("/api/v1/proposals", headers={
        "Authorization": "Basic " + client_of["good"][1].secret}).status_code == 401


def test_a_token_carries_its_owners_current_roles(app, users, db_session, api):
    assert api["council"].post("/proposals", json={"title": "x"}).status_code == 403
    services.set_roles(db_session, users["council"], ["council", "staff"], how="test")
    db_session.commit()
    assert api["council"].post("/proposals?draft=true", json={"title": "Now allowed"}).status_code == 201


def test_first_use_each_day_is_audited_once(app, users, db_session, api):
    for _ in range(3):
        assert api["staff"].get("/proposals").status_code == 200
    uses = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.use")).all()
    assert len(uses) == 1 and uses[0].actor == "stella"


def test_tokens_page_creates_shows_once_and_revokes(app, as_staff, users, db_session):
    page = as_staff.get("/account/tokens")
    assert page.status_code == 200
    created = as_staff.post("/account/tokens", {"name": "grant portal", "days": "30"}, token_from="/account/tokens")
    html = created.get_data(as_text=True)
    secret = re.search(r'<code id="new-token">(rdk_[^<]+)</code>', html).group(1)
    assert ApiClient(app, secret).get("/proposals").status_code == 200
    assert secret not in as_staff.get("/account/tokens").get_data(as_text=True)
    row = db_session.scalars(select(ApiToken).where(ApiToken.name == "grant portal")).one()
    revoked = as_staff.post(f"/account/tokens/{row.id}/revoke", token_from="/account/tokens")
    assert revoked.status_code == 302
    assert ApiClient(app, secret).get("/proposals").status_code == 401
    for_other = as_staff.post("/account/tokens", {"name": "sneaky", "days": "30", "username": "ada"},
                              token_from="/account/tokens")
    assert for_other.status_code == 400
    assert db_session.scalars(select(ApiToken).where(ApiToken.name == "sneaky")).all() == []


def test_an_admin_revokes_anyone_but_a_user_only_their_own(app, as_staff, as_admin, users, db_session):
    theirs, _ = tokens.create_token(db_session, users["admin"], "admin's")
    db_session.commit()
    assert as_staff.post(f"/account/tokens/{theirs.id}/revoke", token_from="/account/tokens").status_code == 404
    mine, _ = tokens.create_token(db_session, users["staff"], "stella's")
    db_session.commit()
    assert as_admin.post(f"/account/tokens/{mine.id}/revoke", token_from="/account/tokens").status_code == 302
    db_session.expire_all()
    assert db_session.get(ApiToken, mine.id).revoked_at is not None
    assert db_session.get(ApiToken, theirs.id).revoked_at is None


def test_tokens_cli_creates_lists_and_revokes(app, users, database_url, db_session, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(PROJECT_ROOT),
           "RISKDESK_INSTANCE": str(tmp_path / "instance")}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "riskdesk", "tokens", *args], capture_output=True, text=True,
                              env=env, cwd=PROJECT_ROOT, timeout=120, stdin=subprocess.DEVNULL)

    made = cli("create", "stella", "--name", "contract register", "--days", "7")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("rdk_") and ApiClient(app, secret).get("/proposals").status_code == 200
    listed = cli("list", "stella")
    assert "contract register" in listed.stdout and secret not in listed.stdout
    token_id = listed.stdout.split("\t", 1)[0]
    assert cli("revoke", token_id).returncode == 0
    assert ApiClient(app, secret).get("/proposals").status_code == 401
    bad = cli("create", "nobody", "--name", "x")
    assert bad.returncode == 2 and "username: no user 'nobody'" in bad.stderr
    assert cli("create", "stella", "--name", "x", "--days", "0").returncode == 2


def test_rate_limit_is_per_token(sqlite_template, tmp_path):
    import shutil

    target = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, target)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{target}", "SECRET_KEY": "x",
                      "INSTANCE_PATH": str(tmp_path / "i"), "REPORTS_DIR": str(tmp_path / "r"),
                      "API_RATE_LIMIT": "3 per minute"})
    from tests.conftest import make_user

    session = app.extensions["riskdesk.sessionmaker"]()
    first, _ = tokens.create_token(session, make_user(session, "one", ["staff"]), "a")
    secrets = [tokens.create_token(session, session.get(type(first.user), first.user_id), name)[1]
               for name in ("b", "c")]
    session.commit()
    busy, calm = ApiClient(app, secrets[0]), ApiClient(app, secrets[1])
    assert [busy.get("/proposals").status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = busy.get("/proposals")
    assert limited.status_code == 429 and limited.mimetype == PROBLEM
    assert calm.get("/proposals").status_code == 200
    session.close()
    app.extensions["riskdesk.engine"].dispose()
