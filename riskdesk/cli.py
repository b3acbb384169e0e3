"""Command line: ``python -m riskdesk ...`` (also ``flask --app riskdesk riskdesk ...``).

Commands that only read files (validate, assess, checklists validate, report) need no database,
so they work straight after a clone. Invalid input exits with status 2 and names every problem on
stderr; nothing is printed on stdout then.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from riskdesk.config import PROJECT_ROOT

EXIT_INVALID = 2


def _fail(lines, code: int = EXIT_INVALID):
    for line in lines:
        click.echo(str(line), err=True)
    sys.exit(code)


def _load_document(path: str) -> dict:
    from riskdesk.intake.document import DocumentError, load_path

    try:
        return load_path(path)
    except DocumentError as exc:
        _fail([f"{path}: invalid intake document ({len(exc.problems)} problem(s)):"] + [f"  {p}" for p in exc.problems])


def _load_release(directory: str | None):
    from riskdesk.checklists import ChecklistError, load_release

    directory = directory or str(PROJECT_ROOT / "checklists")
    try:
        return load_release(directory)
    except ChecklistError as exc:
        _fail([f"checklists in {directory} are invalid:"] + [f"  {p}" for p in exc.problems])


def _parse_date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


@click.group()
def main():
    """RiskDesk: due diligence for cities' international partnerships."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file):
    """Check an intake document (YAML or JSON); list every problem and exit 2, or exit 0."""
    _load_document(file)
    click.echo(f"{file}: valid")


def format_text(result: dict, document: dict) -> str:
    lines = [f"{document['title']}",
             f"Rating: {result['rating'].upper()}" + ("  — PROHIBITED by law" if result["prohibited"] else ""),
             f"Score: {result['score']:g}   Checklist release: {result['checklist_release'][:12]}   "
             f"Assessed on: {result['assessed_on']}", ""]
    for finding in sorted(result["findings"], key=lambda f: (f["effect"] != "prohibition", f["category"])):
        lines.append(f"[{finding['severity'].upper()}] {finding['id']} ({finding['category']}, {finding['effect']})")
        lines.append(f"  {finding['title']}")
        lines.extend(f"  because {b}" for b in finding["because"])
        lines.extend(f"  source: {c['title']} (verified {c['verified']})" for c in finding["citations"])
        lines.append("")
    if result["open_questions"]:
        lines.append("Open questions:")
        lines.extend(f"  - {q}" for q in result["open_questions"])
    return "\n".join(lines)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@click.option("--on", "on", callback=_parse_date, help="Assessment date YYYY-MM-DD (default: today).")
@click.option("--checklists", "checklists_dir", type=click.Path(file_okay=False), help="Checklist folder.")
def assess(file, fmt, on, checklists_dir):
    """Score an intake document against the checklists and print the result."""
    from riskdesk.scoring import score

    document = _load_document(file)
    release = _load_release(checklists_dir)
    result = score(document, release, on=on).to_dict()
    click.echo(json.dumps(result, indent=2, ensure_ascii=False) if fmt == "json" else format_text(result, document))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--on", "on", callback=_parse_date)
@click.option("--checklists", "checklists_dir", type=click.Path(file_okay=False))
def report(file, output, on, checklists_dir):
    """Render the council report (draft) for an intake file as a PDF."""
    from riskdesk.reports.render import render_report
    from riskdesk.scoring import score, scoring_summary

    document = _load_document(file)
    release = _load_release(checklists_dir)
    result = score(document, release, on=on).to_dict()
    pdf = render_report(document, result, status="DRAFT", release=release_info(release),
                        scoring=scoring_summary(release.scoring))
    Path(output).write_bytes(pdf)
    click.echo(f"wrote {output} ({len(pdf)} bytes)")


def release_info(release, created_at: str = "") -> dict:
    return {"hash": release.hash, "created_at": created_at, "note": "", "scoring": release.scoring.description}


@main.group()
def checklists():
    """Validate, document and publish checklist releases."""


@checklists.command("validate")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def checklists_validate(directory):
    """Validate every checklist file; print all problems (exit 2) or a summary (exit 0)."""
    release = _load_release(directory)
    by_pack: dict[str, int] = {}
    for item in release.items:
        by_pack[item.pack] = by_pack.get(item.pack, 0) + 1
    click.echo(f"valid: {len(release.items)} items in {len(release.packs)} packs, {len(release.lists)} lists; "
               f"release {release.hash[:12]}")
    for pack, count in sorted(by_pack.items()):
        click.echo(f"  {pack}: {count} items")


@checklists.command("publish")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--note", default="")
def checklists_publish(directory, note):
    """Publish the checklist folder as the active release (database)."""
    from riskdesk import releases

    directory = directory or str(PROJECT_ROOT / "checklists")
    _load_release(directory)  # validation errors exit 2 before touching the database
    with _session() as session:
        row = releases.publish_directory(session, directory, note=note)
        session.commit()
        click.echo(f"active release {row.hash[:12]} ({row.item_count} items)")


@main.group()
def db():
    """Database schema (migrations)."""


@db.command("upgrade")
def db_upgrade():
    """Create or upgrade the database schema to the latest migration."""
    from riskdesk import config
    from riskdesk.db import upgrade

    url = config.database_url()
    upgrade(url)
    click.echo(f"database at {url.split('@')[-1]} is up to date")


def _session():
    from riskdesk import config
    from riskdesk.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(config.database_url()))()


@main.command("demo")
def demo():
    """Load the demo proposals and publish the shipped checklists (idempotent)."""
    from riskdesk import demo as demo_data

    with _session() as session:
        added = demo_data.load(session)
        session.commit()
    click.echo(f"demo data loaded ({added} new proposals)")


@main.group()
def users():
    """Create users, set their roles, disable them."""


def _role_list(value: str) -> list[str]:
    from riskdesk.models import ROLES

    chosen = [r.strip() for r in value.split(",") if r.strip()]
    bad = [r for r in chosen if r not in ROLES]
    if bad or not chosen:
        raise click.BadParameter(f"roles must be a comma-separated subset of: {', '.join(ROLES)}")
    return chosen


def _find_user(session, username: str):
    from sqlalchemy import select

    from riskdesk.models import User

    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        _fail([f"username: no user {username!r}"])
    return user


@users.command("create")
@click.argument("username")
@click.option("--roles", "role_text", required=True, help="Comma-separated: staff,council,admin")
@click.option("--password", envvar="RISKDESK_NEW_PASSWORD", help="Initial password (or prompt).")
def users_create(username, role_text, password):
    """Create a user (the first admin is created this way)."""
    from sqlalchemy import select

    from riskdesk import audit
    from riskdesk.auth.passwords import hash_password, password_problem
    from riskdesk.models import User

    chosen = _role_list(role_text)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if password_problem(password):
        _fail([f"password: {password_problem(password)}"])
    with _session() as session:
        if session.scalars(select(User).where(User.username == username)).first():
            _fail([f"username: {username!r} already exists"])
        user = User(username=username, display_name=username, password_hash=hash_password(password))
        user.roles = chosen
        session.add(user)
        session.flush()
        audit.record(session, "user.create", object_type="user", object_id=user.id,
                     summary="created from the command line", after={"username": username, "roles": chosen})
        session.commit()
    click.echo(f"created {username} ({', '.join(chosen)})")


@users.command("set-role")
@click.argument("username")
@click.option("--roles", "role_text", required=True)
def users_set_role(username, role_text):
    """Replace a user's roles."""
    from riskdesk import audit

    chosen = _role_list(role_text)
    with _session() as session:
        user = _find_user(session, username)
        before = sorted(user.roles)
        user.roles = chosen
        audit.record(session, "user.roles", object_type="user", object_id=user.id, before={"roles": before},
                     after={"roles": sorted(chosen)}, summary="changed from the command line")
        session.commit()
    click.echo(f"{username}: {', '.join(chosen)}")


@users.command("disable")
@click.argument("username")
def users_disable(username):
    """Disable a user (they can no longer sign in)."""
    from riskdesk import audit

    with _session() as session:
        user = _find_user(session, username)
        user.active = False
        audit.record(session, "user.disable", object_type="user", object_id=user.id, summary="from the command line")
        session.commit()
    click.echo(f"{username} disabled")


@main.group("lists")
def lists_group():
    """Restricted-party list snapshots (OFAC SDN, CSL, OpenSanctions)."""


@lists_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["sdn", "csl", "opensanctions"]), required=True)
def lists_import(file, fmt):
    """Import a list file as the new active snapshot of its format (atomic; bad files change nothing)."""
    from riskdesk import screening_service
    from riskdesk.screening.importers import ListFormatError

    data = Path(file).read_bytes()
    with _session() as session:
        try:
            snapshot = screening_service.import_list(session, data, fmt, filename=Path(file).name)
        except ListFormatError as exc:
            session.rollback()
            _fail([f"{file}: {exc}"])
        session.commit()
        click.echo(f"imported {snapshot.record_count} records from {file} ({snapshot.source}, sha256 {snapshot.sha256[:12]})")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host, port):
    """Serve the app (development server: for local use and demos)."""
    from riskdesk import create_app

    loopback = host in ("127.0.0.1", "localhost", "::1")
    # Plain-HTTP local serving cannot carry Secure cookies; anything else keeps them Secure.
    app = create_app({"SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False} if loopback else None)
    app.run(host=host, port=port, debug=False)


@main.command("demo-admin")
@click.option("--username", default="admin", show_default=True)
def demo_admin(username):
    """Create (or reset) a local demo admin with a random password printed once. Local use only."""
    import secrets

    from sqlalchemy import select

    from riskdesk import audit
    from riskdesk.auth.passwords import hash_password
    from riskdesk.models import User

    password = secrets.token_urlsafe(12)
    with _session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            user = User(username=username, display_name=username, password_hash="")
            session.add(user)
        user.password_hash = hash_password(password)
        user.roles = ["staff", "council", "admin"]
        user.active = True
        session.flush()
        audit.record(session, "user.demo_admin", object_type="user", object_id=user.id,
                     summary="demo admin password reset from the command line")
        session.commit()
    click.echo(f"demo admin: username {username!r}, password {password!r} (local use only)")


if __name__ == "__main__":
    main()
