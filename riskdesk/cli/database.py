"""``db upgrade``, ``demo`` and ``demo-admin``: the schema and the local demonstration data."""
from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import with_appcontext

from riskdesk import db as database
from riskdesk import demo as demo_data
from riskdesk.users import services


@click.group("db")
def db():
    """Database schema (migrations)."""


@db.command("upgrade")
@with_appcontext
def db_upgrade():
    """Create or upgrade the database schema to the latest migration."""
    url = current_app.config["DATABASE_URL"]
    database.upgrade(url)
    click.echo(f"database at {url.split('@')[-1]} is up to date")


@click.command("demo")
@with_appcontext
def demo():
    """Load the demo proposals and publish the shipped checklists (idempotent)."""
    session = database.session()
    added = demo_data.load(session)
    session.commit()
    click.echo(f"demo data loaded ({added} new proposals)")


@click.command("demo-admin")
@click.option("--username", default="admin", show_default=True)
@with_appcontext
def demo_admin(username):
    """Create (or reset) a local demo admin with a random password printed once. Local use only."""
    password = secrets.token_urlsafe(12)
    session = database.session()
    how = "demo admin password reset from the command line"
    user = services.find_user(session, username)
    if user is None:
        user = services.create_user(session, username, password, ["staff", "council", "admin"], how=how)
    else:
        services.reset_password(session, user, password, how=how)
        services.set_roles(session, user, ["staff", "council", "admin"], how=how)
    session.commit()
    click.echo(f"demo admin: username {username!r}, password {password!r} (local use only)")


COMMANDS = (db, demo, demo_admin)
