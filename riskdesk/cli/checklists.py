"""``checklists validate`` (files only) and ``checklists publish`` (database)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from riskdesk import db
from riskdesk.checklists import releases
from riskdesk.cli.common import checklists_dir, load_checklists


@click.group()
def checklists():
    """Validate, document and publish checklist releases."""


@checklists.command("validate")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def checklists_validate(directory):
    """Validate every checklist file; print all problems (exit 2) or a summary (exit 0)."""
    release = load_checklists(directory)
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
@with_appcontext
def checklists_publish(directory, note):
    """Publish the checklist folder as the active release (database)."""
    directory = checklists_dir(directory)
    load_checklists(directory)  # validation errors exit 2 before touching the database
    session = db.session()
    row = releases.publish_directory(session, directory, note=note)
    session.commit()
    click.echo(f"active release {row.hash[:12]} ({row.item_count} items)")


COMMANDS = (checklists,)
