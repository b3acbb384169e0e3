"""``lists import``: a restricted-party list file becomes the active snapshot of its format."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from riskdesk import db
from riskdesk.cli.common import fail
from riskdesk.engine.screening.importers import FORMATS, ListFormatError
from riskdesk.screening import services


@click.group("lists")
def lists_group():
    """Restricted-party list snapshots (OFAC SDN, CSL, OpenSanctions)."""


@lists_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), required=True)
@with_appcontext
def lists_import(file, fmt):
    """Import a list file as the new active snapshot of its format (atomic; bad files change nothing)."""
    session = db.session()
    try:
        snapshot = services.import_list(session, Path(file).read_bytes(), fmt, filename=Path(file).name)
    except ListFormatError as exc:
        session.rollback()
        fail([f"{file}: {exc}"])
    session.commit()
    click.echo(f"imported {snapshot.record_count} records from {file} ({snapshot.source}, sha256 {snapshot.sha256[:12]})")


COMMANDS = (lists_group,)
