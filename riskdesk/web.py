"""Helpers every domain's routes share: the signed-in user's row, get-or-404, template helpers."""
from __future__ import annotations

from flask import Flask, abort
from flask_login import current_user

from riskdesk import db, vocabulary
from riskdesk.engine.labels import country_label, field_label, value_label
from riskdesk.models import Proposal, User


def current_db_user() -> User:
    """The signed-in user as a row of the request's session (Flask-Login's object may be detached)."""
    return db.session().get(User, current_user.id)


MAX_ID = 2**31 - 1  # ids are 32-bit integers; a larger one in a URL is simply not there (PostgreSQL would refuse it)


def get_or_404(model, object_id: int, what: str):
    row = db.session().get(model, object_id) if 0 < object_id <= MAX_ID else None
    if row is None:
        abort(404, f"There is no {what} {object_id}.")
    return row


def get_proposal(proposal_id: int) -> Proposal:
    return get_or_404(Proposal, proposal_id, "proposal")


def init_app(app: Flask) -> None:
    # Vocabulary labels only (statuses, roles, ratings...); intake answers use value_label. No generated words.
    app.add_template_filter(vocabulary.label, "label")
    app.jinja_env.globals["country_name"] = country_label
    app.jinja_env.globals["vocabulary"] = vocabulary
    app.jinja_env.globals["value_label"] = value_label
    app.jinja_env.globals["field_label"] = field_label
