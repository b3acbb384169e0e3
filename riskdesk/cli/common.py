"""What the command modules share: failing with exit 2, loading documents, releases, users and dates."""
from __future__ import annotations

import datetime as dt
import sys

import click

from riskdesk.config import PROJECT_ROOT
from riskdesk.engine.checklists import ChecklistError, Release, load_release
from riskdesk.engine.document import DocumentError, load_path
from riskdesk.users import services

EXIT_INVALID = 2


def fail(lines, code: int = EXIT_INVALID):
    for line in lines:
        click.echo(str(line), err=True)
    sys.exit(code)


def load_document(path: str) -> dict:
    try:
        return load_path(path)
    except DocumentError as exc:
        fail([f"{path}: invalid intake document ({len(exc.problems)} problem(s)):"] + [f"  {p}" for p in exc.problems])


def checklists_dir(directory: str | None) -> str:
    return directory or str(PROJECT_ROOT / "checklists")


def load_checklists(directory: str | None) -> Release:
    directory = checklists_dir(directory)
    try:
        return load_release(directory)
    except ChecklistError as exc:
        fail([f"checklists in {directory} are invalid:"] + [f"  {p}" for p in exc.problems])


def parse_date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


def existing_user(session, username: str):
    """The user called ``username``; exit 2 naming the field when there is none."""
    user = services.find_user(session, username)
    if user is None:
        fail([f"username: no user {username!r}"])
    return user
