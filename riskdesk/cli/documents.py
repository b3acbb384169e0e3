"""``validate``, ``assess`` and ``report``: intake files in, results out; no database needed."""
from __future__ import annotations

import json
from pathlib import Path

import click

from riskdesk.cli.common import load_checklists, load_document, parse_date
from riskdesk.engine.report.render import render_report
from riskdesk.engine.scoring import score, scoring_summary
from riskdesk.vocabulary import by_weight


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file):
    """Check an intake document (YAML or JSON); list every problem and exit 2, or exit 0."""
    load_document(file)
    click.echo(f"{file}: valid")


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
    result = score(document, release, on=on).to_dict()
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
    result = score(document, release, on=on).to_dict()
    pdf = render_report(document, result, status="DRAFT", release=release_info(release),
                        scoring=scoring_summary(release.scoring))
    Path(output).write_bytes(pdf)
    click.echo(f"wrote {output} ({len(pdf)} bytes)")


COMMANDS = (validate, assess, report)
