"""``users create | set-role | disable``: the first administrator is created this way."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from riskdesk import db
from riskdesk.cli.common import existing_user, fail
from riskdesk.users import services
from riskdesk.vocabulary import ROLES

HOW = "from the command line"


@click.group()
def users():
    """Create users, set their roles, disable them."""


def _role_list(value: str) -> list[str]:
    chosen = [r.strip() for r in value.split(",") if r.strip()]
    if services.role_problems(chosen):
        raise click.BadParameter(f"roles must be a comma-separated subset of: {', '.join(ROLES)}")
    return chosen


@users.command("create")
@click.argument("username")
@click.option("--roles", "role_text", required=True, help="Comma-separated: staff,council,admin")
@click.option("--password", envvar="RISKDESK_NEW_PASSWORD", show_envvar=True,
              help="Initial password; else the environment variable RISKDESK_NEW_PASSWORD; else a prompt.")
@with_appcontext
def users_create(username, role_text, password):
    """Create a user (the first admin is created this way).

    The password comes from --password, else RISKDESK_NEW_PASSWORD, else a prompt (typed twice, not shown).
    """
    chosen = _role_list(role_text)
    if password is None:
        if not sys.stdin.isatty():
            fail(["password: there is no terminal to ask for it; give --password or set RISKDESK_NEW_PASSWORD"])
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = db.session()
    try:
        services.create_user(session, username, password, chosen, how=f"created {HOW}")
    except services.UserError as exc:
        fail(exc.problems)
    session.commit()
    click.echo(f"created {username} ({', '.join(chosen)})")


@users.command("set-role")
@click.argument("username")
@click.option("--roles", "role_text", required=True)
@with_appcontext
def users_set_role(username, role_text):
    """Replace a user's roles."""
    chosen = _role_list(role_text)
    session = db.session()
    services.set_roles(session, existing_user(session, username), chosen, how=f"changed {HOW}")
    session.commit()
    click.echo(f"{username}: {', '.join(chosen)}")


@users.command("disable")
@click.argument("username")
@with_appcontext
def users_disable(username):
    """Disable a user (they can no longer sign in)."""
    session = db.session()
    services.set_active(session, existing_user(session, username), False, how=HOW)
    session.commit()
    click.echo(f"{username} disabled")


COMMANDS = (users,)
