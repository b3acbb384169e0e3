"""Command line: ``python -m riskdesk ...`` (also ``flask --app riskdesk riskdesk ...``).

One module per command group. Commands that touch the database run on the app context (so they
use the app's configuration, the same under ``flask --app`` as under ``python -m riskdesk``);
commands that only read files (validate, assess, report, checklists validate) need no database,
so they work straight after a clone. Invalid input exits with status 2 and names every problem on
stderr; nothing is printed on stdout then.
"""
from __future__ import annotations

import click
from flask.cli import ScriptInfo

from riskdesk.cli import backup, checklists, database, documents, jobs, lists, screen, serving, tokens, users


@click.group()
def main():
    """RiskDesk: due diligence for cities' international partnerships."""


for module in (documents, checklists, database, users, lists, screen, serving, tokens, jobs, backup):
    for command in module.COMMANDS:
        main.add_command(command)


def run() -> None:
    """Entry point of ``python -m riskdesk``: the app is built from the environment when a command needs it."""
    from riskdesk import create_app

    main(prog_name="python -m riskdesk", obj=ScriptInfo(create_app=lambda: create_app()))
