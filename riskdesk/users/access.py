"""The deny-by-default access rule for every route, sign-in sessions, and the sign-in rate limit."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user

from riskdesk import db
from riskdesk.extensions import login_manager
from riskdesk.models import User

LOGIN_ENDPOINT = "users.login"
SESSION_VERSION_KEY = "_riskdesk_sv"
PUBLIC_ENDPOINTS = frozenset({LOGIN_ENDPOINT, "static"})


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
        if not current_user.is_authenticated:
            return redirect(url_for(LOGIN_ENDPOINT, next=request.full_path.removesuffix("?") if request.method == "GET" else None))
        view = app.view_functions.get(endpoint)
        allowed = getattr(view, "allowed_roles", None)
        if not allowed or not (current_user.roles & allowed):
            abort(403)
        return None


def rate_limit_login(app: Flask) -> None:
    """One limiter per app (its counters live on the object); sign-in POSTs are limited per address."""
    limiter = Limiter(get_remote_address, app=app, default_limits=[],
                      storage_uri=app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["riskdesk.limiter"] = limiter
    login = app.view_functions[LOGIN_ENDPOINT]
    app.view_functions[LOGIN_ENDPOINT] = limiter.limit(lambda: app.config["LOGIN_RATE_LIMIT"],
                                                       methods=["POST"])(login)
