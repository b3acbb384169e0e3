"""``lists import`` and ``lists fetch``: restricted-party list files become active snapshots."""
from __future__ import annotations

import fcntl
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from riskdesk import db
from riskdesk.cli.common import fail
from riskdesk.engine.screening.importers import FORMATS, ListFormatError, detect_format, sdn_bundle
from riskdesk.screening import fetch, services


@click.group("lists")
def lists_group():
    """Restricted-party list snapshots (OFAC SDN, CSL, OpenSanctions)."""


def _read(file: str, fmt: str | None, alt: str | None, add: str | None) -> tuple[bytes, str]:
    data = Path(file).read_bytes()
    fmt = fmt or detect_format(data)
    if fmt is None:
        fail([f"{file}: cannot tell the list format from its first line; give --format ({', '.join(FORMATS)})"])
    if (alt or add) and fmt != "sdn":
        fail(["--alt and --add are OFAC companion files: they go with an SDN file (sdn.csv)"])
    if alt or add:
        data = sdn_bundle(data, Path(alt).read_bytes() if alt else None, Path(add).read_bytes() if add else None)
    return data, fmt


@lists_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)),
              help="List format (default: told from the file's header).")
@click.option("--alt", type=click.Path(exists=True, dir_okay=False), help="OFAC alt.csv (aliases) for an SDN file.")
@click.option("--add", type=click.Path(exists=True, dir_okay=False), help="OFAC add.csv (addresses) for an SDN file.")
@with_appcontext
def lists_import(file, fmt, alt, add):
    """Import a list file as the new active snapshot of its format (atomic; bad files change nothing).
    Approved and pending proposals are re-screened when the list changed."""
    data, fmt = _read(file, fmt, alt, add)
    session = db.session()
    try:
        snapshot, changed, new_matches = services.import_and_monitor(session, data, fmt, filename=Path(file).name)
    except ListFormatError as exc:
        session.rollback()
        fail([f"{file}: {exc}"])
    session.commit()
    what = "imported" if changed else "unchanged (already the active snapshot)"
    click.echo(f"{what}: {snapshot.record_count} records from {file} ({snapshot.source}, "
               f"sha256 {snapshot.sha256[:12]})")
    if changed:
        click.echo(f"re-screened the portfolio: {new_matches} new potential match(es) on existing ties")


@lists_group.command("fetch")
@click.option("--url-sdn", help="OFAC sdn.csv address.")
@click.option("--url-alt", help="OFAC alt.csv address.")
@click.option("--url-add", help="OFAC add.csv address.")
@click.option("--url-csl", help="Consolidated Screening List CSV address.")
@click.option("--url-opensanctions", help="OpenSanctions targets.simple.csv address (none by default: its licence "
                                          "is non-commercial).")
@click.option("--only", type=click.Choice(list(FORMATS)), multiple=True, help="Fetch only these lists.")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds to wait for each download.")
@with_appcontext
def lists_fetch(url_sdn, url_alt, url_add, url_csl, url_opensanctions, only, timeout):
    """Download the official list files, verify them all, then import the changed ones in one transaction
    (safe for cron: one run at a time; when any list fails nothing is imported, every active snapshot
    stays, and the exit status is 1)."""
    options = {"sdn": url_sdn, "alt": url_alt, "add": url_add, "csl": url_csl, "opensanctions": url_opensanctions}
    urls = fetch.configured_urls({**current_app.config.get("LIST_URLS", {}),
                                  **{k: v for k, v in options.items() if v}}, only)
    lock_path = Path(current_app.config["INSTANCE_PATH"]) / "lists-fetch.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    session = db.session()
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fail(["another lists fetch is running; nothing done"], code=1)
        try:
            outcomes = fetch.fetch_lists(session, urls, timeout=timeout)
        except fetch.FetchFailed as exc:
            session.rollback()
            outcomes = exc.outcomes
        else:
            session.commit()
    for o in outcomes:
        extra = f"; {o.new_matches} new potential match(es) on existing ties" if o.status == "imported" else ""
        click.echo(f"{o.fmt}: {o.status}: {o.message}{extra}", err=o.status == "failed")
    if any(o.status == "failed" for o in outcomes):
        click.echo("no list was imported: every active snapshot stays", err=True)
        raise SystemExit(1)


COMMANDS = (lists_group,)
