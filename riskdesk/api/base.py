"""The API blueprint, its OpenAPI generator, and what every operation shares.

Every operation: a Bearer token (checked by the deny-by-default rule in ``users.access``, with the
same ``@roles`` as the page that does the same thing), JSON in and out, problem+json on refusal.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, request
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from werkzeug.exceptions import HTTPException, default_exceptions

from riskdesk import __version__, db
from riskdesk.api.problems import ApiProblem, field_problems, problem_response
from riskdesk.api.schemas import ProblemDetail
from riskdesk.models import User
from riskdesk.web import get_or_404

bp = Blueprint("api", __name__, url_prefix="/api/v1")

BODY_METHODS = ("POST", "PUT", "PATCH")
JSON_TYPES = ("application/json", "application/merge-patch+json")


def _refuse_invalid_request(_req, _resp, error, _instance, _adapter):
    """SpecTree's hook after request validation: report a model's errors as a 422 problem."""
    if error is not None:
        raise ApiProblem(422, "The request has invalid fields.",
                         [{"path": ".".join(str(part) for part in e["loc"]), "message": e["msg"]}
                          for e in error.errors()])


spec = SpecTree(
    "flask", mode="strict", title="RiskDesk API", version=__version__, path="api/v1/docs",
    description="Due diligence for cities' international partnerships. Send a personal API token as "
                "`Authorization: Bearer <token>` (create one on the Account → API tokens page, or with "
                "`python -m riskdesk tokens create`). Errors are application/problem+json (RFC 9457).",
    naming_strategy=lambda model: model.__name__, nested_naming_strategy=lambda _parent, child: child,
    before=_refuse_invalid_request, validation_error_status=422, validation_error_model=ProblemDetail,
    security_schemes=[SecurityScheme(name="bearerToken", data=SecuritySchemeData(type="http", scheme="bearer"))],
    security={"bearerToken": []},
)

COMMON_ERRORS = {"HTTP_401": ProblemDetail, "HTTP_403": ProblemDetail, "HTTP_429": ProblemDetail}


def responses(ok: dict | None = None, *errors: int) -> Response:
    """A SpecTree response set: the success models plus problem+json for the refusals named."""
    models = {**(ok or {}), **COMMON_ERRORS, **{f"HTTP_{code}": ProblemDetail for code in errors}}
    return Response(**models)


def actor() -> User:
    """The token owner as a row of the request's session."""
    return db.session().get(User, g.api_token.user_id)


def roles_of_caller() -> set[str]:
    return actor().roles


def get_or_problem(model, object_id: int, what: str):
    try:
        return get_or_404(model, object_id, what)
    except HTTPException as exc:
        raise ApiProblem(404, exc.description) from None


def per_page_cap() -> int:
    return current_app.config.get("API_MAX_PER_PAGE", 200)


def _nul_path(value, path: str = "") -> str | None:
    """The path of the first text holding a NUL character (PostgreSQL cannot store one), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return path
        found = _nul_path(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _refuse_nul_in_query() -> None:
    bad = [name for name, values in request.args.lists() if any("\x00" in v for v in values)]
    if bad:
        raise ApiProblem(422, "Query parameters must not contain NUL characters.",
                         [{"path": name, "message": "must not contain NUL characters"} for name in bad])


@bp.before_request
def _only_json_objects():
    """415 for a body that is not JSON, 400 for JSON that does not parse, 422 for one that is not an object.

    Checked before SpecTree, which reads an unparsable or falsy body as an empty object.
    """
    _refuse_nul_in_query()
    if request.method not in BODY_METHODS or not request.get_data(cache=True):
        return None  # an operation without a body (assess, issue) takes none
    if request.mimetype not in JSON_TYPES:
        raise ApiProblem(415, f"Send the body as application/json (got {request.mimetype or 'no content type'}).")
    body = request.get_json(silent=True)
    if body is None:
        raise ApiProblem(400, "The body is not valid JSON.", [{"path": "", "message": "not valid JSON"}])
    if not isinstance(body, dict):
        raise ApiProblem(422, "The body must be a JSON object.", [{"path": "", "message": "must be a JSON object"}])
    where = _nul_path(body)
    if where is not None:
        raise ApiProblem(422, f"{where or 'body'}: must not contain NUL characters.",
                         [{"path": where, "message": "must not contain NUL characters"}])
    return None


def _problem(error: HTTPException):
    return problem_response(error)


# By status code as well as by class: the pages' HTML handlers are registered by code, and Flask
# prefers a code's handler to a class's, so the blueprint names every code it answers.
bp.register_error_handler(HTTPException, _problem)
for _code in default_exceptions:
    bp.register_error_handler(_code, _problem)


@bp.after_request
def _no_caching_of_data(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


__all__ = ["bp", "spec", "responses", "actor", "field_problems", "ApiProblem", "get_or_problem"]
