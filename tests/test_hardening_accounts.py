"""Accounts: sessions end on the server, one sign-in costs the same whoever you are, passwords and usernames.

Each test names the failure of issue 13 it covers (section 5: sessions; 7: accounts).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from riskdesk.models import User
from riskdesk.users import passwords, services
from tests.conftest import PASSWORD, Browserless, make_user


def _copy_of(client) -> Browserless:
    """A second browser holding the same session cookie (a cookie someone saved)."""
    copy = client.client.application.test_client()
    cookie = client.client.get_cookie("session")
    assert cookie is not None
    copy.set_cookie("session", cookie.value)
    return Browserless(copy)


def _signed_out(client) -> bool:
    page = client.get("/proposals")
    return page.status_code in (302, 303) and "/auth/login" in page.headers["Location"]


def test_a_cookie_saved_before_sign_out_no_longer_works(as_staff):
    saved = _copy_of(as_staff)
    assert not _signed_out(saved)
    assert as_staff.post("/auth/logout").status_code in (302, 303)
    assert _signed_out(saved)
    assert _signed_out(as_staff)


def test_a_password_change_ends_every_other_session(app, users):
    here, elsewhere = Browserless(app.test_client()), Browserless(app.test_client())
    for client in (here, elsewhere):
        assert client.login("stella").status_code in (302, 303)
    new = "a completely new passphrase 2026"
    changed = here.post("/auth/password", {"current": PASSWORD, "new": new, "confirm": new},
                        token_from="/auth/password")
    assert changed.status_code in (302, 303), changed.get_data(as_text=True)
    assert not _signed_out(here)  # the browser that changed it stays signed in
    assert _signed_out(elsewhere)
    assert Browserless(app.test_client()).login("stella", new).status_code in (302, 303)


def test_a_cookie_from_before_a_disable_does_not_work_after_re_enable(app, db_session, users, as_admin):
    victim = Browserless(app.test_client())
    assert victim.login("stella").status_code in (302, 303)
    saved = _copy_of(victim)
    stella = users["staff"]
    for action in ("disable", "enable"):
        done = as_admin.post("/admin/users", {"action": action, "user_id": stella.id}, token_from="/admin/users")
        assert done.status_code in (302, 303)
    assert _signed_out(saved) and _signed_out(victim)
    assert Browserless(app.test_client()).login("stella").status_code in (302, 303)


def test_a_role_change_ends_the_users_sessions(app, users, as_admin, as_staff):
    done = as_admin.post("/admin/users", {"action": "roles", "user_id": users["staff"].id, "roles": ["council"]},
                         token_from="/admin/users")
    assert done.status_code in (302, 303)
    assert _signed_out(as_staff)
    assert not _signed_out(as_admin)  # the administrator's own session is untouched


def test_an_unknown_username_costs_one_password_hash_like_a_known_one(app, users, web, monkeypatch):
    """Timing: every failed sign-in verifies exactly one Argon2 hash (the dummy one for an unknown name)."""
    from riskdesk.users import routes

    verified: list[str] = []
    real = routes.verify_password

    def counting(stored_hash, password):
        verified.append(stored_hash)
        return real(stored_hash, password)

    monkeypatch.setattr(routes, "verify_password", counting)
    assert web.login("nobody-at-all", "some wrong password").status_code == 401
    assert web.login("stella", "some wrong password").status_code == 401
    assert len(verified) == 2
    assert verified[0] == passwords.DUMMY_HASH and verified[1] == users["staff"].password_hash


@pytest.mark.parametrize("password, reason", [
    ("password1234", "commonly used"),
    ("Password1234!", "commonly used"),
    ("qwertyuiop12", "commonly used"),
    ("aaaaaaaaaaaaaaaa", "too few characters"),
    ("x" * (1024 * 1024), "at most 128"),
    ("short", "at least 12"),
])
def test_the_password_policy_refuses_common_repetitive_and_untypeable_passwords(password, reason):
    assert reason in (passwords.password_problem(password, "mallory") or "")


def test_the_password_may_not_be_the_username(db_session):
    with pytest.raises(services.UserError, match="too close to the username"):
        services.create_user(db_session, "administrator", "administrator", ["staff"])
    with pytest.raises(services.UserError, match="too close to the username"):
        services.create_user(db_session, "stellamaris", "stellamaris2024", ["staff"])
    # a long phrase that merely mentions the name is fine
    assert passwords.password_problem("bob's long passphrase 7", "bob") is None
    assert passwords.password_problem(PASSWORD, "stella") is None


def test_the_admin_form_refuses_a_one_megabyte_password(as_admin, db_session):
    page = as_admin.post("/admin/users", {"action": "create", "username": "newbie", "password": "y" * 1_000_000,
                                          "roles": ["staff"]}, token_from="/admin/users")
    assert page.status_code == 400 and "at most 128 characters" in page.get_data(as_text=True)
    assert db_session.scalars(select(User).where(User.username == "newbie")).first() is None


@pytest.mark.parametrize("username", ["bad\nname", "bad\r\nname", "\u0430dmin", "ad min", "<script>", "-rf",
                                      "name\u202e", "a" * 81, ""])
def test_usernames_are_limited_to_a_safe_character_set(db_session, username):
    with pytest.raises(services.UserError, match="username"):
        services.create_user(db_session, username, "a long enough passphrase 9", ["staff"])


def test_a_username_differing_only_in_case_is_taken(db_session):
    make_user(db_session, "Stella", ["staff"])
    with pytest.raises(services.UserError, match="already exists"):
        services.create_user(db_session, "stella", "a long enough passphrase 9", ["staff"])


def test_safe_usernames_are_accepted(db_session):
    for name in ("j.doe", "j_doe-2", "jane@city.gov"):
        assert services.create_user(db_session, name, "a long enough passphrase 9", ["staff"]).username == name
