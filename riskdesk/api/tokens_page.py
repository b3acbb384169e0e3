"""The API tokens page: a user creates and revokes their own tokens; an administrator anyone's.

The secret of a new token is shown once, on the response to the form that created it, and is
never stored (only its sha256 is).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from riskdesk import db
from riskdesk.models import ApiToken
from riskdesk.users import services, tokens
from riskdesk.users.access import roles
from riskdesk.vocabulary import ROLES
from riskdesk.web import current_db_user

bp = Blueprint("tokens", __name__)


class TokenForm(FlaskForm):
    name = StringField("Name (what will use it)", validators=[DataRequired(), Length(max=tokens.MAX_NAME)])
    days = IntegerField("Expires after (days)", default=tokens.DEFAULT_DAYS,
                        validators=[DataRequired(), NumberRange(1, tokens.MAX_DAYS)])
    username = StringField("For user (administrators; empty for yourself)", validators=[Optional(), Length(max=80)])
    submit = SubmitField("Create token")


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")


def _visible_tokens(session, user) -> list[ApiToken]:
    if "admin" in user.roles:
        return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))
    return tokens.tokens_of(session, user)


def _render(form, secret: str = "", status: int = 200):
    session = db.session()
    user = current_db_user()
    return render_template("users/tokens.html", form=form, revoke=RevokeForm(), secret=secret,
                           tokens=_visible_tokens(session, user), is_admin="admin" in user.roles,
                           usable=tokens.is_usable), status


@bp.route("/account/tokens", methods=["GET", "POST"])
@roles(*ROLES)
def index():
    form = TokenForm()
    if not form.validate_on_submit():
        return _render(form, status=400 if form.errors else 200)
    session = db.session()
    user = current_db_user()
    owner = user
    if form.username.data and form.username.data.strip() != user.username:
        owner = services.find_user(session, form.username.data.strip()) if "admin" in user.roles else None
        if owner is None:
            form.username.errors = ["Only an administrator creates tokens for others; check the username."]
            return _render(form, status=400)
    try:
        _row, secret = tokens.create_token(session, owner, form.name.data, form.days.data, actor=user)
    except tokens.TokenError as exc:
        form.name.errors = list(exc.problems)
        return _render(form, status=400)
    session.commit()
    return _render(TokenForm(formdata=None), secret=secret)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@roles(*ROLES)
def revoke(token_id: int):
    session = db.session()
    user = current_db_user()
    if not RevokeForm().validate_on_submit():
        abort(400, "The form's security token was missing or expired.")
    row = tokens.token_for(session, token_id, owner=user, may_manage_all="admin" in user.roles)
    if row is None:
        abort(404, f"There is no token {token_id} of yours.")
    tokens.revoke_token(session, row, actor=user)
    session.commit()
    flash(f"Token {row.name} revoked: it no longer works.")
    return redirect(url_for("tokens.index"))
