"""Accounts: create users, change roles, disable and enable them; each change with its audit entry.

The web page and the command line call these, so the rules (unique name, password policy, at
least one role, no locking yourself out) live here once.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from riskdesk.audit import trail
from riskdesk.models import User
from riskdesk.users.passwords import hash_password, password_problem
from riskdesk.vocabulary import ROLES

MAX_USERNAME = 80
# ASCII letters, digits and . _ - @, starting with a letter or digit: no spaces or line breaks (which
# would forge lines in logs and the audit trail) and no look-alike letters from other scripts
# ("аdmin" with a Cyrillic а) that would pass for another account on screen.
USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")


class UserError(ValueError):
    """A refused account change; ``problems`` name the field and the reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def role_problems(chosen: list[str]) -> list[str]:
    if not chosen or any(r not in ROLES for r in chosen):
        return [f"roles: choose one or more of {', '.join(ROLES)}"]
    return []


def username_problem(username: str) -> str | None:
    if not username or len(username) > MAX_USERNAME:
        return f"required, at most {MAX_USERNAME} characters"
    if not USERNAME_RE.fullmatch(username):
        return "use only the letters A-Z and a-z, digits and . _ - @, starting with a letter or digit"
    return None


def create_user(session: Session, username: str, password: str, chosen_roles: list[str], *,
                actor: User | None = None, how: str = "") -> User:
    username = username.strip()
    problems = []
    if username_problem(username):
        problems.append(f"username: {username_problem(username)}")
    elif session.scalars(select(User).where(func.lower(User.username) == username.lower())).first():
        problems.append(f"username: {username!r} already exists")
    if password_problem(password, username=username):
        problems.append(f"password: {password_problem(password, username=username)}")
    problems += role_problems(chosen_roles)
    if problems:
        raise UserError(problems)
    user = User(username=username, display_name=username, password_hash=hash_password(password))
    user.roles = chosen_roles
    session.add(user)
    session.flush()
    trail.record(session, "user.create", actor=actor, object_type="user", object_id=user.id, summary=how,
                 after={"username": username, "roles": sorted(chosen_roles)})
    return user


def end_sessions(user: User) -> None:
    """End every sign-in of ``user`` on the server: sessions carrying the old version are refused."""
    user.session_version = (user.session_version or 1) + 1


def sign_out(session: Session, user: User) -> None:
    end_sessions(user)
    trail.record(session, "user.logout", actor=user, object_type="user", object_id=user.id)


def change_password(session: Session, user: User, password: str) -> User:
    """The user's own change: policy checked, every session of theirs ended (the caller starts a new one)."""
    problem = password_problem(password, username=user.username)
    if problem:
        raise UserError([f"new: {problem}"])
    user.password_hash = hash_password(password)
    end_sessions(user)
    trail.record(session, "user.password_change", actor=user, object_type="user", object_id=user.id)
    return user


def _state(user: User) -> dict:
    return {"roles": sorted(user.roles), "active": user.active}


def set_roles(session: Session, user: User, chosen_roles: list[str], *, actor: User | None = None,
              how: str = "") -> User:
    problems = role_problems(chosen_roles)
    if actor is not None and user.id == actor.id and "admin" not in chosen_roles:
        problems.append("roles: you cannot remove your own admin role.")
    if problems:
        raise UserError(problems)
    before = _state(user)
    if set(chosen_roles) != user.roles:
        end_sessions(user)
    user.roles = chosen_roles
    trail.record(session, "user.roles", actor=actor, object_type="user", object_id=user.id, summary=how,
                 before=before, after=_state(user))
    return user


def set_active(session: Session, user: User, active: bool, *, actor: User | None = None, how: str = "") -> User:
    if actor is not None and user.id == actor.id and not active:
        raise UserError(["You cannot disable yourself."])
    before = _state(user)
    if not active:
        end_sessions(user)
    user.active = active
    trail.record(session, "user.enable" if active else "user.disable", actor=actor, object_type="user",
                 object_id=user.id, summary=how, before=before, after=_state(user))
    return user


def reset_password(session: Session, user: User, password: str, *, actor: User | None = None,
                   how: str = "") -> User:
    problem = password_problem(password, username=user.username)
    if problem:
        raise UserError([f"password: {problem}"])
    user.password_hash = hash_password(password)
    end_sessions(user)
    user.active = True
    trail.record(session, "user.password_reset", actor=actor, object_type="user", object_id=user.id, summary=how)
    return user
