"""``screen FILE``: batch screening of a delegation or vendor list against the active list snapshots."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from riskdesk import db
from riskdesk.cli.common import fail
from riskdesk.engine.screening.parties import birth_year
from riskdesk.screening import services

KINDS = {"person": "person", "organization": "entity", "organisation": "entity", "": None}
CSV_COLUMNS = ("query", "source", "entry_id", "listed_name", "matched_name", "score", "why")


def _csv_rows(text: str, file: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    reader.fieldnames = [(f or "").strip().lower() for f in reader.fieldnames or []]
    rows, problems = [], []
    for line, rec in enumerate(reader, start=2):
        name = (rec.get("name") or "").strip()
        kind = (rec.get("kind") or "").strip().lower()
        if not name:
            problems.append(f"{file}: line {line}: name is empty")
            continue
        if kind not in KINDS:
            problems.append(f"{file}: line {line}: kind {kind!r} is not person or organization")
            continue
        try:
            year = birth_year(rec.get("birth_date"))
        except ValueError as exc:
            problems.append(f"{file}: line {line}: birth_date {exc}")
            continue
        rows.append({"name": name, "kind": KINDS[kind], "country": (rec.get("country") or "").strip(),
                     "birth_year": year})
    if problems:
        fail(problems)
    return rows


def read_names(file: str) -> list[dict]:
    """A CSV with a ``name`` column (and optional kind, country, birth_date), or one name a line."""
    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        fail([f"{file}: not UTF-8 text (byte {exc.start})"])
    first = text.split("\n", 1)[0]
    if "name" in [c.strip().strip('"').lower() for c in first.split(",")]:
        return _csv_rows(text, file)
    return [{"name": line.strip()} for line in text.splitlines() if line.strip()]


def _csv_output(results: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in results:
        for hit in result["hits"] or [{}]:
            writer.writerow([result["query"], *(hit.get(c, "") for c in CSV_COLUMNS[1:])])
    return out.getvalue()


@click.command("screen")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--threshold", type=click.FloatRange(0, 100), help="Score a hit needs (default: the matcher's).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="json: one line per name, in order; csv: one row per hit (a name without hits has one empty row).")
@with_appcontext
def screen(file, threshold, fmt):
    """Screen every name in FILE against the active list snapshots."""
    rows = read_names(file)
    results = services.screen_names(db.session(), rows, threshold=threshold)
    if results is None:
        fail(["no restricted-party list has been imported: run python -m riskdesk lists import FILE first"])
    if fmt == "csv":
        click.echo(_csv_output(results), nl=False)
    else:
        for result in results:
            click.echo(json.dumps(result, ensure_ascii=False))


COMMANDS = (screen,)
