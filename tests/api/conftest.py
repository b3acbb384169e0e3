"""API fixtures: a personal token per test user, and a client that sends it."""
from __future__ import annotations

from pathlib import Path

import pytest

from riskdesk.users import tokens

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def scenario_document(name: str = "10_ar_ireland_clean.yaml") -> dict:
    from riskdesk.engine.document import parse_text  # the project's YAML reading: yes/no stay strings

    return parse_text((SCENARIOS / name).read_text(encoding="utf-8"), name)["document"]


class ApiClient:
    """A test client that sends one Bearer token and no cookie."""

    def __init__(self, app, secret: str | None):
        self.client = app.test_client(use_cookies=False)
        self.secret = secret

    def headers(self, extra: dict | None = None) -> dict:
        base = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        return {**base, **(extra or {})}

    def get(self, path, headers=None, **kw):
        return self.client.get("/api/v1" + path, headers=self.headers(headers), **kw)

    def post(self, path, json=None, headers=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self.headers(headers), **kw)

    def put(self, path, json=None, headers=None, **kw):
        return self.client.put("/api/v1" + path, json=json, headers=self.headers(headers), **kw)


@pytest.fixture
def secrets(app, users, db_session):
    """One usable token per test user, by role name: staff, council, admin."""
    out = {}
    for role, user in users.items():
        _row, secret = tokens.create_token(db_session, user, f"{role} test token")
        out[role] = secret
    db_session.commit()
    return out


@pytest.fixture
def api(app, secrets):
    return {role: ApiClient(app, secret) for role, secret in secrets.items()} | {"anonymous": ApiClient(app, None)}


