"""``backup OUT`` and ``restore IN``: the database and the issued report files in one archive.

The archive is a tar file holding ``manifest.json`` (backend, schema revision, sha256 of every
report file), the database (SQLite through its online backup API, safe while the app
runs; PostgreSQL as a ``pg_dump`` custom-format dump, a consistent snapshot) and ``reports/``. The
database is copied first and the report files after: a report's file is written before its row is
committed, so every report row in the copy has its file in the archive.

``restore`` puts both back into the configured database and reports folder, refuses a database that
already holds RiskDesk tables unless ``--replace`` is given, checks every report file against the
manifest's sha256 before touching the database and the schema revision after, and exits 2 on any problem.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from riskdesk.cli.common import fail
from riskdesk.db import Base

FORMAT = 1
SQLITE_MEMBER, PG_MEMBER = "database.sqlite3", "database.pgdump"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _libpq(url: str) -> tuple[str, dict]:
    """The URL for pg_dump/pg_restore without its password, which goes in PGPASSWORD (not on a command line)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(args: list[str], env: dict) -> None:
    try:
        subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    except FileNotFoundError:
        fail([f"{args[0]} is not installed (Debian: apt-get install postgresql-client)"])
    except subprocess.CalledProcessError as exc:
        fail([f"{args[0]} failed: {exc.stderr.strip() or exc.returncode}"])


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database)


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            counts = {t.name: conn.execute(text(f'SELECT COUNT(*) FROM "{t.name}"')).scalar_one()
                      for t in Base.metadata.sorted_tables if t.name in present}
            revision = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) \
                if "alembic_version" in present else []
        return {"tables": counts, "revision": revision}
    finally:
        engine.dispose()


def _dump_database(url: str, folder: Path) -> str:
    if _backend(url) == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(folder / SQLITE_MEMBER)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return SQLITE_MEMBER
    libpq, env = _libpq(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(folder / PG_MEMBER),
          "--dbname", libpq], env)
    return PG_MEMBER


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup(out):
    """Write the database and the issued report files to the archive OUT (a .tar file)."""
    url, reports_dir = current_app.config["DATABASE_URL"], Path(current_app.config["REPORTS_DIR"])
    target = Path(out)
    if target.exists():
        fail([f"{out}: exists already; choose a new file name (a backup never overwrites another)"])
    with tempfile.TemporaryDirectory(prefix="riskdesk-backup-") as tmp:
        folder = Path(tmp)
        member = _dump_database(url, folder)
        snapshot = _counts(url)
        reports = {p.name: _sha256(p) for p in sorted(reports_dir.glob("*.pdf")) if not p.name.startswith(".")}
        manifest = {"format": FORMAT, "backend": _backend(url), "database": member,
                    "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "revision": snapshot["revision"], "reports": reports}
        partial = target.with_name(f".{target.name}.part")
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(folder / member, arcname=member)
            for name in reports:
                archive.add(reports_dir / name, arcname=f"reports/{name}")
        os.replace(partial, target)
    click.echo(f"backup written to {out}: {manifest['backend']} database at revision "
               f"{', '.join(manifest['revision'])}, {len(reports)} report file(s)")


def _read_manifest(archive: tarfile.TarFile, path: str) -> dict:
    try:
        manifest = json.load(archive.extractfile("manifest.json"))
    except (KeyError, json.JSONDecodeError, TypeError):
        fail([f"{path}: not a RiskDesk backup (no readable manifest.json)"])
    if manifest.get("format") != FORMAT or manifest.get("database") not in (SQLITE_MEMBER, PG_MEMBER):
        fail([f"{path}: backup format {manifest.get('format')!r} is not one this version restores"])
    return manifest


def _extract(archive: tarfile.TarFile, name: str, destination: Path) -> Path:
    """Extract one named member as a regular file (never a link, never outside ``destination``)."""
    try:
        member = archive.getmember(name)
    except KeyError:
        fail([f"backup is incomplete: {name} is missing"])
    if not member.isfile():
        fail([f"backup is damaged: {name} is not a regular file"])
    path = destination / Path(name).name
    with archive.extractfile(member) as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target)
    return path


def _restore_database(url: str, dump: Path, replace: bool) -> None:
    if _backend(url) == "sqlite":
        source, target = sqlite3.connect(dump), sqlite3.connect(_sqlite_path(url))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    libpq, env = _libpq(url)
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          *(["--clean", "--if-exists"] if replace else []), "--dbname", libpq, str(dump)], env)


def _restore_reports(archive: tarfile.TarFile, reports: dict[str, str], reports_dir: Path, tmp: Path) -> list[str]:
    problems = []
    reports_dir.mkdir(parents=True, exist_ok=True)
    for name, sha256 in reports.items():
        if "/" in name or name.startswith(".") or not name.endswith(".pdf"):
            problems.append(f"reports/{name}: not a report file name")
            continue
        extracted = _extract(archive, f"reports/{name}", tmp)
        if _sha256(extracted) != sha256:
            problems.append(f"reports/{name}: sha256 does not match the manifest")
            continue
        final = reports_dir / name
        if final.exists() and _sha256(final) == sha256:
            continue
        os.replace(extracted, final)
        os.chmod(final, 0o444)
    return problems


@click.command("restore")
@click.argument("archive_path", metavar="IN", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Replace a database that already holds RiskDesk tables.")
@with_appcontext
def restore(archive_path, replace):
    """Restore the database and report files from the backup archive IN into the configured ones."""
    url, reports_dir = current_app.config["DATABASE_URL"], Path(current_app.config["REPORTS_DIR"])
    current_app.extensions["riskdesk.engine"].dispose()
    if _backend(url) == "sqlite":
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path) as archive, tempfile.TemporaryDirectory(prefix="riskdesk-restore-") as tmp:
        manifest = _read_manifest(archive, archive_path)
        if manifest["backend"] != _backend(url):
            fail([f"{archive_path}: a {manifest['backend']} backup cannot be restored into {_backend(url)} "
                  "(restore into the same kind of database)"])
        if _counts(url)["tables"] and not replace:
            fail(["the configured database already holds RiskDesk tables; restore into a new, empty database "
                  "or pass --replace"])
        problems = _restore_reports(archive, manifest["reports"], reports_dir, Path(tmp))
        if problems:
            fail([f"{archive_path}: nothing restored into the database:"] + [f"  {p}" for p in problems])
        _restore_database(url, _extract(archive, manifest["database"], Path(tmp)), replace)
    after = _counts(url)
    if after["revision"] != manifest["revision"]:
        fail([f"restored database is at revision {after['revision']}, the backup said {manifest['revision']}"])
    click.echo(f"restored {sum(after['tables'].values())} rows in {len(after['tables'])} tables and "
               f"{len(manifest['reports'])} report file(s); run python -m riskdesk db upgrade if this code is newer")


COMMANDS = (backup, restore)
