"""``serve``: Flask's development server for local use, or gunicorn (``--production``) for a real deployment."""
from __future__ import annotations

import os
import sys

import click

from riskdesk.config import PROJECT_ROOT

GUNICORN_CONFIG = PROJECT_ROOT / "gunicorn.conf.py"


def _production(host, port, workers) -> None:
    """Replace this process with gunicorn, configured by gunicorn.conf.py (workers, timeouts, access log)."""
    args = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG)]
    if host is not None or port is not None:
        args += ["--bind", f"{host or '127.0.0.1'}:{port or 8000}"]
    if workers:
        args += ["--workers", str(workers)]
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, args)


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", default=None, type=int, envvar="PORT", help="Port [default: 5000, or 8000 with --production].")
@click.option("--production", is_flag=True,
              help="Serve with gunicorn (gunicorn.conf.py) instead of the development server.")
@click.option("--workers", type=int, help="With --production: number of app worker processes.")
def serve(host, port, production, workers):
    """Serve the app: the development server (local use and demos), or gunicorn with --production."""
    if production:
        _production(host, port, workers)
        return
    from riskdesk import (
        create_app,  # the package's factory; imported here because the CLI is part of it
    )

    host, port = host or "127.0.0.1", port or 5000
    loopback = host in ("127.0.0.1", "localhost", "::1")
    # Plain-HTTP local serving cannot carry Secure cookies; anything else keeps them Secure.
    app = create_app({"SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False} if loopback else None)
    app.run(host=host, port=port, debug=False)


COMMANDS = (serve,)
