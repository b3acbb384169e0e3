"""Personal API tokens: create (the secret is shown once), revoke, and look one up from a Bearer header.

Only the sha256 of a token is stored: a token is 32 random bytes, so a plain hash cannot be guessed
back, and a lookup is one indexed query. A token acts with its owner's roles as they are at the time
of each request, so taking a role away from a user takes it from their tokens too.

Audited: creating and revoking a token, and its first use on each calendar day (UTC); every write
made with a token is audited by the service that makes it, under the token owner's name.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from riskdesk.audit import trail
from riskdesk.models import ApiToken, User, utcnow

TOKEN_PREFIX = "rdk_"
MAX_NAME = 80
DEFAULT_DAYS = 90
MAX_DAYS = 366


class TokenError(ValueError):
    """A refused token request; ``problems`` name the field and the reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands timezone-aware columns back naive; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def is_usable(token: ApiToken, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return token.revoked_at is None and _aware(token.expires_at) > now and token.user.active


def create_token(session: Session, owner: User, name: str, days: int = DEFAULT_DAYS, *,
                 actor: User | None = None) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns the row and the secret, which is never stored or shown again."""
    name = (name or "").strip()
    problems = []
    if not name:
        problems.append("name: give the token a name, e.g. the system that will use it")
    elif len(name) > MAX_NAME:
        problems.append(f"name: at most {MAX_NAME} characters")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        problems.append(f"days: a token expires after 1 to {MAX_DAYS} days")
    if problems:
        raise TokenError(problems)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    actor = actor or owner
    row = ApiToken(user_id=owner.id, name=name, token_hash=hash_token(secret), prefix=secret[:10],
                   expires_at=utcnow() + dt.timedelta(days=days), created_by_id=actor.id)
    session.add(row)
    session.flush()
    trail.record(session, "api_token.create", actor=actor, object_type="api_token", object_id=row.id,
                 summary=f"API token {name!r} ({row.prefix}…) for {owner.username}, expires "
                         f"{row.expires_at:%Y-%m-%d}", after={"user": owner.username, "days": days})
    return row, secret


def revoke_token(session: Session, token: ApiToken, *, actor: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        trail.record(session, "api_token.revoke", actor=actor, object_type="api_token", object_id=token.id,
                     summary=f"Revoked API token {token.name!r} ({token.prefix}…) of {token.user.username}")
    return token


def tokens_of(session: Session, owner: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == owner.id).order_by(ApiToken.id.desc())))


def token_for(session: Session, token_id: int, *, owner: User, may_manage_all: bool) -> ApiToken | None:
    """A token the caller may manage: their own, or anyone's for an administrator."""
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != owner.id and not may_manage_all):
        return None
    return row


def authenticate(session: Session, authorization: str) -> ApiToken | None:
    """The usable token named by an ``Authorization: Bearer …`` header, or None; audits the day's first use."""
    scheme, _, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    row = session.scalars(select(ApiToken).options(joinedload(ApiToken.user))
                          .where(ApiToken.token_hash == hash_token(secret))).first()
    if row is None or not is_usable(row):
        return None
    today = utcnow().date()
    if row.last_used_on != today:
        row.last_used_on = today
        trail.record(session, "api_token.use", actor=row.user, object_type="api_token", object_id=row.id,
                     summary=f"First use today of API token {row.name!r} ({row.prefix}…)")
        session.commit()
    return row
