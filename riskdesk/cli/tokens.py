"""``tokens create | list | revoke``: personal API tokens from the command line (the secret is printed once)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from riskdesk import db
from riskdesk.cli.common import existing_user, fail
from riskdesk.users import tokens as token_service


@click.group()
def tokens():
    """Create, list and revoke personal API tokens."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What will use the token, e.g. 'agenda system'.")
@click.option("--days", type=int, default=token_service.DEFAULT_DAYS, show_default=True, help="Days until it expires.")
@with_appcontext
def tokens_create(username, name, days):
    """Create a token for USERNAME and print it (only now: it is stored hashed)."""
    session = db.session()
    owner = existing_user(session, username)
    try:
        row, secret = token_service.create_token(session, owner, name, days)
    except token_service.TokenError as exc:
        fail(exc.problems)
    session.commit()
    click.echo(secret)
    click.echo(f"token {row.id} for {username}, expires {row.expires_at:%Y-%m-%d}; it is not shown again", err=True)


@tokens.command("list")
@click.argument("username")
@with_appcontext
def tokens_list(username):
    """List USERNAME's tokens (never their secrets)."""
    session = db.session()
    for row in token_service.tokens_of(session, existing_user(session, username)):
        state = "revoked" if row.revoked_at else ("in use" if token_service.is_usable(row) else "expired")
        click.echo(f"{row.id}\t{row.prefix}…\t{row.name}\texpires {row.expires_at:%Y-%m-%d}\t{state}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id):
    """Revoke a token by its id (from ``tokens list``)."""
    session = db.session()
    row = session.get(token_service.ApiToken, token_id)
    if row is None:
        fail([f"token_id: no token {token_id}"])
    token_service.revoke_token(session, row, actor=row.user)
    session.commit()
    click.echo(f"token {token_id} revoked")


COMMANDS = (tokens,)
