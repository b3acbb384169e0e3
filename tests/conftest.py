"""Shared fixtures: the app on SQLite and on a throwaway PostgreSQL cluster, users, CSRF-aware clients.

Every test that uses ``app`` runs once per backend. PostgreSQL runs when its server programs
(initdb, pg_ctl) are on the PATH; the cluster lives in a temporary folder, listens only on a Unix
socket, and is removed at the end of the run.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("RISKDESK_LOGIN_RATE_LIMIT", "1000 per minute")

from riskdesk import create_app  # noqa: E402
from riskdesk.db import make_engine, upgrade  # noqa: E402
from riskdesk.models import User  # noqa: E402
from riskdesk.users.passwords import hash_password  # noqa: E402
from tests.pgcluster import ServerProgramsMissing, throwaway_cluster, throwaway_database  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHECKLISTS = PROJECT_ROOT / "checklists"
PASSWORD = "correct horse battery staple"


def shared_dir() -> Path:
    return Path(os.environ.get("RISKDESK_SHARED_DIR", PROJECT_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def redis_server():
    """A throwaway Redis server for the job, queue and multi-worker tests."""
    from tests.redisserver import throwaway_redis

    try:
        with throwaway_redis() as url:
            yield url
    except ServerProgramsMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def postgres_cluster():
    try:
        with throwaway_cluster() as url_template:
            yield url_template
    except ServerProgramsMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster):
    from sqlalchemy import text

    admin = make_engine(postgres_cluster.format(db="postgres")).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE riskdesk_template"))
    upgrade(postgres_cluster.format(db="riskdesk_template"))
    return admin


_counter = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "riskdesk.sqlite3"
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
        return
    with throwaway_database(request.getfixturevalue("postgres_template"), request.getfixturevalue("postgres_cluster"),
                            f"t{os.getpid()}_{next(_counter)}", "riskdesk_template") as url:
        yield url


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"), "REPORTS_DIR": str(tmp_path / "reports"),
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
    })
    yield app
    app.extensions["riskdesk.engine"].dispose()


@pytest.fixture
def db_session(app):
    session = app.extensions["riskdesk.sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def published(app, db_session):
    """The shipped checklists published as the active release."""
    from riskdesk.checklists import releases

    row = releases.publish_directory(db_session, CHECKLISTS, note="test")
    db_session.commit()
    return row


def make_user(session, username: str, roles: list[str], password: str = PASSWORD) -> User:
    user = User(username=username, display_name=username, password_hash=hash_password(password))
    user.roles = roles
    session.add(user)
    session.commit()
    return user


@pytest.fixture
def users(db_session):
    return {
        "staff": make_user(db_session, "stella", ["staff"]),
        "council": make_user(db_session, "carl", ["council"]),
        "admin": make_user(db_session, "ada", ["admin", "staff"]),
    }


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Browserless:
    """A test client that signs in and posts forms with their CSRF token, like a browser would."""

    def __init__(self, client):
        self.client = client

    def token(self, url: str) -> str:
        page = self.client.get(url)
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {url} ({page.status_code})"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD):
        token = self.token("/auth/login")
        return self.client.post("/auth/login", data={"csrf_token": token, "username": username, "password": password})

    def post(self, url: str, data: dict | None = None, token_from: str | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(token_from or "/proposals"))
        return self.client.post(url, data=data, **kw)

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)


@pytest.fixture
def web(app):
    return Browserless(app.test_client())


@pytest.fixture
def as_staff(app, users):
    client = Browserless(app.test_client())
    assert client.login("stella").status_code in (302, 303)
    return client


@pytest.fixture
def as_council(app, users):
    client = Browserless(app.test_client())
    assert client.login("carl").status_code in (302, 303)
    return client


@pytest.fixture
def as_admin(app, users):
    client = Browserless(app.test_client())
    assert client.login("ada").status_code in (302, 303)
    return client
