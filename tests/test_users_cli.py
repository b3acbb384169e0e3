"""`python -m riskdesk users create|set-role|disable`, end to end in subprocesses, on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from riskdesk.models import AuditEvent, User
from tests.conftest import PROJECT_ROOT, Browserless

BOB_PASSWORD = "bob's long passphrase 7"


def run_cli(database_url: str, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("RISKDESK_NEW_PASSWORD", "DATABASE_URL")}
    env.update(DATABASE_URL=database_url, PYTHONPATH=str(PROJECT_ROOT), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "riskdesk", "users", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def audit_actions(db_session, username: str) -> list[str]:
    db_session.expire_all()
    user = db_session.scalars(select(User).where(User.username == username)).one()
    return [e.action for e in db_session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id)).order_by(AuditEvent.id))]


def test_users_cli_end_to_end(app, database_url, db_session):
    done = run_cli(database_url, "create", "bob", "--roles", "staff", "--password", BOB_PASSWORD)
    assert done.returncode == 0, done.stderr
    assert "created bob" in done.stdout
    bob = db_session.scalars(select(User).where(User.username == "bob")).one()
    assert bob.roles == {"staff"} and bob.active and bob.password_hash.startswith("$argon2id$")
    assert BOB_PASSWORD not in bob.password_hash
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create")).one()
    assert event.after == {"username": "bob", "roles": ["staff"]} and BOB_PASSWORD not in repr(event.after)

    web = Browserless(app.test_client())
    assert web.login("bob", BOB_PASSWORD).status_code in (302, 303)
    assert web.get("/proposals/new").status_code == 200

    duplicate = run_cli(database_url, "create", "bob", "--roles", "admin", "--password", BOB_PASSWORD)
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr and not duplicate.stdout

    bad_role = run_cli(database_url, "create", "eve", "--roles", "staff,root", "--password", BOB_PASSWORD)
    assert bad_role.returncode != 0 and "roles must be" in bad_role.stderr
    short = run_cli(database_url, "create", "eve", "--roles", "staff", "--password", "short")
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    # the password may also come from the environment (keeps it out of the process list)
    from_env = run_cli(database_url, "create", "eve", "--roles", "council",
                       env_extra={"RISKDESK_NEW_PASSWORD": "eve's long passphrase 8"})
    assert from_env.returncode == 0, from_env.stderr
    assert Browserless(app.test_client()).login("eve", "eve's long passphrase 8").status_code in (302, 303)
    db_session.expire_all()
    assert db_session.scalars(select(User).where(User.username == "eve")).one().roles == {"council"}

    role = run_cli(database_url, "set-role", "bob", "--roles", "council")
    assert role.returncode == 0, role.stderr
    # a role change ends bob's existing session on the server; a fresh sign-in has the new roles
    ended = web.get("/proposals/new")
    assert ended.status_code in (302, 303) and "/auth/login" in ended.headers["Location"]
    fresh = Browserless(app.test_client())
    assert fresh.login("bob", BOB_PASSWORD).status_code in (302, 303)
    assert fresh.get("/proposals/new").status_code == 403 and fresh.get("/council").status_code == 200
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user.roles")).one()
    # the web page and the command line record the same audit entry (one service)
    assert event.before == {"roles": ["staff"], "active": True} and event.after == {"roles": ["council"], "active": True}
    assert run_cli(database_url, "set-role", "bob", "--roles", "wizard").returncode != 0
    missing = run_cli(database_url, "set-role", "nobody", "--roles", "staff")
    assert missing.returncode == 2 and "no user" in missing.stderr

    disabled = run_cli(database_url, "disable", "bob")
    assert disabled.returncode == 0, disabled.stderr
    assert Browserless(app.test_client()).login("bob", BOB_PASSWORD).status_code == 401
    # an open session of a disabled user is dropped
    response = fresh.get("/council")
    assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]

    assert audit_actions(db_session, "bob") == ["user.create", "user.login", "user.roles", "user.login",
                                                "user.disable"]


def test_users_create_without_a_password_or_terminal_says_how_to_give_one(database_url):
    done = run_cli(database_url, "create", "nopass", "--roles", "staff")
    assert done.returncode == 2 and "Aborted" not in done.stderr
    assert "give --password or set RISKDESK_NEW_PASSWORD" in done.stderr
