"""A throwaway PostgreSQL cluster for tests and benchmarks: Unix socket only, removed afterwards."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


class ServerProgramsMissing(RuntimeError):
    pass


def _as_postgres(args: list[str]) -> None:
    if os.geteuid() == 0:  # initdb refuses to run as root
        args = ["runuser", "-u", "postgres", "--"] + args
    subprocess.run(args, check=True, capture_output=True, text=True)


@contextlib.contextmanager
def throwaway_cluster(prefix: str = "riskdesk-pg-"):
    """Start a cluster with initdb/pg_ctl; yield a SQLAlchemy URL template with ``{db}``; remove it after."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        raise ServerProgramsMissing("PostgreSQL server programs (initdb, pg_ctl) are not on the PATH")
    root = Path(tempfile.mkdtemp(prefix=prefix))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    os.chmod(root, 0o755)
    try:
        _as_postgres([initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
        _as_postgres([pg_ctl, "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                      f"-c listen_addresses='' -c unix_socket_directories='{sock}' -c fsync=off "
                      "-c full_page_writes=off -c synchronous_commit=off", "start"])
        yield f"postgresql+psycopg://postgres@/{{db}}?host={sock}"
    finally:
        if (data / "postmaster.pid").exists():
            _as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def throwaway_database(admin_engine, url_template: str, name: str, template: str):
    """Create database ``name`` from ``template`` on the cluster, yield its URL, drop it afterwards."""
    from sqlalchemy import text

    with admin_engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template} ENCODING 'UTF8'"))
    try:
        yield url_template.format(db=name)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
