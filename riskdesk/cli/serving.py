"""``serve``: the app on Flask's development server, for local use and demonstrations."""
from __future__ import annotations

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int, envvar="PORT")
def serve(host, port):
    """Serve the app (development server: for local use and demos)."""
    from riskdesk import (
        create_app,  # the package's factory; imported here because the CLI is part of it
    )

    loopback = host in ("127.0.0.1", "localhost", "::1")
    # Plain-HTTP local serving cannot carry Secure cookies; anything else keeps them Secure.
    app = create_app({"SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False} if loopback else None)
    app.run(host=host, port=port, debug=False)


COMMANDS = (serve,)
