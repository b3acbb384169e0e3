"""``validate``, ``assess`` and ``report``: intake files in, results out; no database needed.

When a database is configured (``DATABASE_URL``, or the default SQLite file exists) and holds active
list snapshots, ``assess`` and ``report`` also screen the partner, intermediaries, people and vendors
against them; without one they still work and say the names were not screened.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import click
from flask.cli import ScriptInfo
from sqlalchemy.exc import SQLAlchemyError

from riskdesk.cli.common import load_checklists, load_document, parse_date
from riskdesk.config import PROJECT_ROOT
from riskdesk.engine.report.render import render_report
from riskdesk.engine.scoring import score, scoring_summary
from riskdesk.engine.screening.parties import ROLE_LABELS, document_parties
from riskdesk.vocabulary import by_weight


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file):
    """Check an intake document (YAML or JSON); list every problem and exit 2, or exit 0."""
    load_document(file)
    click.echo(f"{file}: valid")


NOT_SCREENED = {"performed": False, "lists": [], "hits": []}


def _database_configured() -> bool:
    instance = Path(os.environ.get("RISKDESK_INSTANCE", PROJECT_ROOT / "instance"))
    return bool(os.environ.get("DATABASE_URL")) or (instance / "riskdesk.sqlite3").is_file()


def screen_document(document: dict) -> dict:
    """``{performed, lists, hits}`` against the configured database's active snapshots; not performed
    when no database is configured or reachable, or no list was imported."""
    info = click.get_current_context().find_object(ScriptInfo)
    if info is None or not _database_configured():
        return dict(NOT_SCREENED)
    from riskdesk import db
    from riskdesk.screening import services

    app = info.load_app()
    with app.app_context():
        try:
            return services.screen_document(db.session(), document)
        except SQLAlchemyError as exc:
            click.echo(f"not screened: the database could not be read ({exc.__class__.__name__})", err=True)
            return dict(NOT_SCREENED)


def _screening_text(screening: dict) -> list[str]:
    if not screening["performed"]:
        return ["Screening: not screened: no list imported"]
    lines = ["Screening against: " + "; ".join(
        f"{s['source']} (snapshot {s['snapshot_date']}, {s['records']} records, sha256 {s['sha256'][:12]})"
        for s in screening["lists"])]
    if not screening["hits"]:
        lines.append("  no potential match")
    for hit in screening["hits"]:
        lines.append(f"  {hit['role']} {hit['query']!r} ~ {hit['matched_name']!r} ({hit['source']}, entry "
                     f"{hit['entry_id']}), score {hit['score']:.0f}: {hit['why']}")
    return lines


def format_text(result: dict, document: dict) -> str:
    lines = [f"{document['title']}",
             f"Rating: {result['rating'].upper()}" + ("  — PROHIBITED by law" if result["prohibited"] else ""),
             f"Score: {result['score']:g}   Checklist release: {result['checklist_release'][:12]}   "
             f"Assessed on: {result['assessed_on']}", ""]
    for finding in by_weight(result["findings"]):
        lines.append(f"[{finding['severity'].upper()}] {finding['id']} ({finding['category']}, {finding['effect']})")
        lines.append(f"  {finding['title']}")
        lines.extend(f"  because {b}" for b in finding["because"])
        lines.extend(f"  source: {c['title']} (verified {c['verified']})" for c in finding["citations"])
        lines.append("")
    if result["open_questions"]:
        lines.append("Open questions:")
        lines.extend(f"  - {q}" for q in result["open_questions"])
    if "screening" in result:
        lines.append("")
        lines.extend(_screening_text(result["screening"]))
    return "\n".join(lines)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@click.option("--on", "on", callback=parse_date, help="Assessment date YYYY-MM-DD (default: today).")
@click.option("--checklists", "checklists_dir", type=click.Path(file_okay=False), help="Checklist folder.")
def assess(file, fmt, on, checklists_dir):
    """Score an intake document against the checklists and print the result."""
    document = load_document(file)
    release = load_checklists(checklists_dir)
    screening = screen_document(document)
    result = score(document, release, on=on, screening=screening["hits"]).to_dict()
    result["screening"] = screening
    click.echo(json.dumps(result, indent=2, ensure_ascii=False) if fmt == "json" else format_text(result, document))


def release_info(release, created_at: str = "") -> dict:
    return {"hash": release.hash, "created_at": created_at, "note": "", "scoring": release.scoring.description}


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--on", "on", callback=parse_date)
@click.option("--checklists", "checklists_dir", type=click.Path(file_okay=False))
def report(file, output, on, checklists_dir):
    """Render the council report (draft) for an intake file as a PDF."""
    document = load_document(file)
    release = load_checklists(checklists_dir)
    screening = screen_document(document)
    result = score(document, release, on=on, screening=screening["hits"]).to_dict()
    pdf = render_report(document, result, status="DRAFT", release=release_info(release),
                        scoring=scoring_summary(release.scoring),
                        screening=_screening_record(document, screening))
    Path(output).write_bytes(pdf)
    click.echo(f"wrote {output} ({len(pdf)} bytes)")
    click.echo(_screening_text(screening)[0] if not screening["performed"] else
               f"screened against {len(screening['lists'])} list(s): {len(screening['hits'])} potential match(es)")


def _screening_record(document: dict, screening: dict) -> dict:
    """The report's screening record: what was screened, when, against which lists, and the hits."""
    if not screening["performed"]:
        return screening
    parties = [{"name": p.name, "kind": ROLE_LABELS[p.role]} for p in document_parties(document)]
    return {**screening, "parties": parties, "screened_at": dt.date.today().isoformat()}  # when it ran


COMMANDS = (validate, assess, report)
