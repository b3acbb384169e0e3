"""Error pages (HTML) for every refusal the app gives."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from riskdesk.api.problems import problem_response

API_PATH = "/api/"  # a URL under the API that matches no operation still gets a problem+json answer

ERROR_TITLES = ((400, "Bad request"), (403, "Not allowed"), (404, "Not found"), (405, "Not allowed"),
                (409, "Conflict"), (413, "File too large"), (429, "Too many attempts"),
                (503, "Temporarily unavailable"))


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_template("errors/error.html", code=400, title="Form expired or invalid",
                               message="The form's security token was missing or expired. Go back, reload the "
                                       "page and submit again; your answers are still in your browser."), 400

    for code, title in ERROR_TITLES:
        def handler(error, code=code, title=title):
            if request.path.startswith(API_PATH):
                return problem_response(error)
            message = getattr(error, "description", "") or title
            return render_template("errors/error.html", code=code, title=title, message=message), code

        app.register_error_handler(code, handler)
