"""``/healthz``: the process answers. ``/readyz``: it can serve (503 with the failing check otherwise)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from riskdesk.ops import readiness

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    outcome = readiness.checks(current_app.extensions["riskdesk.engine"])
    ready = all(value == "ok" for value in outcome.values())
    return jsonify(status="ready" if ready else "not ready", checks=outcome), 200 if ready else 503
