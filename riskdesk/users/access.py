"""The deny-by-default access rule for every route, sign-in sessions, and the sign-in rate limit."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user

from riskdesk import db
from riskdesk.extensions import login_manager
from riskdesk.models import User
from riskdesk.users import tokens

LOGIN_ENDPOINT = "users.login"
SESSION_VERSION_KEY = "_riskdesk_sv"
# The API's contract and its docs page, and the load balancer's health checks, hold no data;
# every other endpoint needs a user with a role.
PUBLIC_ENDPOINTS = frozenset({LOGIN_ENDPOINT, "static", "api.openapi", "api.docs", "ops.healthz", "ops.readyz"})
API_ENDPOINT_PREFIX = "api."  # the API signs in by Bearer token only, never by the session cookie


def roles(*allowed: str):
    """Declare which roles may use a view. A view without this declaration is refused to everyone."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        wrapper.allowed_roles = frozenset(allowed)
        return wrapper

    return decorate


def start_session(user: User) -> None:
    """Sign ``user`` in on this browser, under the account's current session version."""
    login_user(user)
    session[SESSION_VERSION_KEY] = user.session_version


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = LOGIN_ENDPOINT
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str):
        user = db.session().get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.active or session.get(SESSION_VERSION_KEY) != user.session_version:
            return None  # signed out, password changed, disabled or roles changed since this session began
        return user

    @app.before_request
    def _require_role():
        endpoint = request.endpoint
        if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
            return None
        if endpoint.startswith(API_ENDPOINT_PREFIX):
            _sign_in_by_token()
        elif not current_user.is_authenticated:
            return redirect(url_for(LOGIN_ENDPOINT, next=request.full_path.removesuffix("?") if request.method == "GET" else None))
        view = app.view_functions.get(endpoint)
        allowed = getattr(view, "allowed_roles", None)
        if not allowed or not (current_user.roles & allowed):
            abort(403)
        return None


def _sign_in_by_token() -> None:
    """Make the token's owner the request's user (no session is read or written), or refuse with 401."""
    token = tokens.authenticate(db.session(), request.headers.get("Authorization", ""))
    if token is None:
        abort(401, "Send a valid, unexpired API token as 'Authorization: Bearer <token>'.")
    g.api_token = token
    g._login_user = token.user  # Flask-Login's per-request user: current_user is the owner, not a cookie


def rate_limit_login(app: Flask) -> None:
    """One limiter per app (its counters live on the object); sign-in POSTs are limited per address."""
    limiter = Limiter(get_remote_address, app=app, default_limits=[],
                      storage_uri=app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["riskdesk.limiter"] = limiter
    login = app.view_functions[LOGIN_ENDPOINT]
    app.view_functions[LOGIN_ENDPOINT] = limiter.limit(lambda: app.config["LOGIN_RATE_LIMIT"],
                                                       methods=["POST"])(login)
    if "api" in app.blueprints:  # API requests are limited per token (the token is known by then)
        limiter.limit(lambda: app.config["API_RATE_LIMIT"], key_func=_api_limit_key)(app.blueprints["api"])


def _api_limit_key() -> str:
    token = g.get("api_token")
    return f"api-token:{token.id}" if token is not None else f"api-address:{get_remote_address()}"
