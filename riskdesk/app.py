"""The application factory's body (``riskdesk.create_app`` imports this lazily)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from riskdesk import config as settings
from riskdesk.config import PROJECT_ROOT


def build_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        "riskdesk",
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(settings.load(overrides))
    Path(app.config["REPORTS_DIR"]).mkdir(parents=True, exist_ok=True)

    from riskdesk import auth, db, security
    from riskdesk.extensions import csrf

    db.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    security.init_app(app)

    from riskdesk.admin.views import bp as admin_bp
    from riskdesk.auth.views import bp as auth_bp
    from riskdesk.council.views import bp as council_bp
    from riskdesk.intake.views import bp as intake_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(council_bp)
    app.register_blueprint(admin_bp)
    _rate_limit_login(app)

    from riskdesk.cli import main as cli_group

    app.cli.add_command(cli_group, "riskdesk")
    _register_errors(app)
    _template_helpers(app)
    return app


def _rate_limit_login(app: Flask) -> None:
    """One limiter per app (its counters live on the object); sign-in POSTs are limited per address."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(get_remote_address, app=app, default_limits=[],
                      storage_uri=app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["riskdesk.limiter"] = limiter
    login = app.view_functions["auth.login"]
    app.view_functions["auth.login"] = limiter.limit(lambda: app.config["LOGIN_RATE_LIMIT"], methods=["POST"])(login)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_template("errors/error.html", code=400, title="Form expired or invalid",
                               message="The form's security token was missing or expired. Go back, reload the "
                                       "page and submit again; your answers are still in your browser."), 400

    for code, title in ((400, "Bad request"), (403, "Not allowed"), (404, "Not found"), (405, "Not allowed"),
                        (409, "Conflict"), (413, "File too large"), (429, "Too many attempts"),
                        (503, "Temporarily unavailable")):
        def handler(error, code=code, title=title):
            message = getattr(error, "description", "") or title
            return render_template("errors/error.html", code=code, title=title, message=message), code

        app.register_error_handler(code, handler)


def _template_helpers(app: Flask) -> None:
    from riskdesk.intake.document import country_name

    @app.template_filter("label")
    def _label(value: str) -> str:
        return str(value).replace("_", " ").capitalize() if value else ""

    app.jinja_env.globals["country_name"] = country_name
