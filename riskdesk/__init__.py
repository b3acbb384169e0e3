"""RiskDesk: due diligence and risk assessment for cities' international partnerships.

``create_app`` is the application factory (Flask's tutorial shape: config, extensions with
``init_app``, one blueprint per domain package, the CLI on the app). Flask is imported inside the
factory so that ``import riskdesk.engine`` stays free of Flask and the database for the CLI's
file-only commands and for other programs that use the engine alone.
"""

__version__ = "0.2.0"

BLUEPRINT_MODULES = (
    "riskdesk.users.routes", "riskdesk.proposals.routes", "riskdesk.council.routes",
    "riskdesk.checklists.routes", "riskdesk.screening.routes", "riskdesk.audit.routes",
    "riskdesk.api.routes", "riskdesk.api.tokens_page", "riskdesk.jobs.routes", "riskdesk.ops.routes",
)


def create_app(config=None):
    """Build the web application; ``config`` overrides the settings read from the environment."""
    import importlib
    from pathlib import Path

    from flask import Flask

    from riskdesk import config as settings
    from riskdesk import db, errors, security, web
    from riskdesk.cli import main as cli_group
    from riskdesk.config import PROJECT_ROOT
    from riskdesk.council import worker
    from riskdesk.extensions import csrf
    from riskdesk.jobs import queue as jobs_queue
    from riskdesk.users import access

    app = Flask("riskdesk", template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(Path(__file__).parent / "static"), instance_path=str(PROJECT_ROOT / "instance"))
    app.config.update(settings.load(config))
    Path(app.config["REPORTS_DIR"]).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    jobs_queue.init_app(app)
    csrf.init_app(app)
    access.init_app(app)
    security.init_app(app)
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(name).bp)
    access.rate_limit_login(app)
    errors.init_app(app)
    web.init_app(app)
    worker.install_shutdown_handlers()  # render workers stop with the server
    app.cli.add_command(cli_group, "riskdesk")
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    return app
