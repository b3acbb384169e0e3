from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from riskdesk import db
from riskdesk.audit import trail
from riskdesk.models import User
from riskdesk.users import services
from riskdesk.users.access import roles, start_session
from riskdesk.users.passwords import (
    DUMMY_HASH,
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from riskdesk.vocabulary import ROLES
from riskdesk.web import current_db_user, get_or_404

bp = Blueprint("users", __name__)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField("Sign in")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)])
    confirm = PasswordField("Repeat the new password", validators=[DataRequired(), EqualTo("new", "Passwords differ")])
    submit = SubmitField("Change password")


class ResetPasswordForm(FlaskForm):
    new = PasswordField("New password", validators=[DataRequired(), Length(min=MIN_LENGTH, max=200)],
                        description=f"At least {MIN_LENGTH} characters. Tell the user in person or by phone.")
    confirm = PasswordField("Repeat the new password", validators=[DataRequired(), EqualTo("new", "Passwords differ")])
    submit = SubmitField("Set the new password")


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("proposals.home")


@bp.route("/login", methods=["GET", "POST"])  # the address people guess; url_for keeps /auth/login
@bp.route("/auth/login", methods=["GET", "POST"])
def login():
    """Sign in. POSTs are rate-limited per client address (see ``riskdesk.users.access.rate_limit_login``)."""
    form = LoginForm()
    if form.validate_on_submit():
        session = db.session()
        user = session.scalars(select(User).where(User.username == form.username.data.strip())).first()
        # Always verify one hash, so an unknown username costs as much time as a wrong password.
        matches = verify_password(user.password_hash if user else DUMMY_HASH, form.password.data)
        if user and user.active and matches:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            start_session(user)
            trail.record(session, "user.login", actor=user, object_type="user", object_id=user.id)
            session.commit()
            return redirect(_safe_next(request.args.get("next")))
        trail.record(session, "user.login_failed", object_type="user",
                     summary=f"Failed sign-in for {form.username.data.strip()[:80]!r}")
        session.commit()
        form.password.errors = list(form.password.errors) + ["Wrong username or password."]
        return render_template("users/login.html", form=form), 401
    return render_template("users/login.html", form=form), 400 if form.errors else 200


@bp.route("/auth/logout", methods=["POST"])
@roles(*ROLES)
def logout():
    """Sign out here and end every other session of this account on the server."""
    session = db.session()
    services.sign_out(session, session.get(User, current_user.id))
    session.commit()
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("users.login"))


@bp.route("/auth/password", methods=["GET", "POST"])
@roles(*ROLES)
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors = list(form.current.errors) + ["This is not your current password."]
        else:
            session = db.session()
            user = session.get(User, current_user.id)
            try:
                services.change_password(session, user, form.new.data)
            except services.UserError as exc:
                session.rollback()
                form.new.errors = list(form.new.errors) + [p.removeprefix("new: ") for p in exc.problems]
            else:
                session.commit()
                start_session(user)  # this browser stays signed in; every other session has ended
                flash("Your password has been changed. You are signed out everywhere else.")
                return redirect(url_for("proposals.index"))
    return render_template("users/password.html", form=form), 400 if form.errors else 200


@bp.route("/admin/users", methods=["GET", "POST"])
@roles("admin")
def manage():
    session = db.session()
    problems: list[str] = []
    if request.method == "POST":
        actor = current_db_user()
        action = request.form.get("action")
        chosen = request.form.getlist("roles")
        try:
            if action == "create":
                user = services.create_user(session, request.form.get("username", ""),
                                            request.form.get("password", ""), chosen, actor=actor)
            else:
                user = get_or_404(User, request.form.get("user_id", type=int) or 0, "user")
                if action == "roles":
                    services.set_roles(session, user, chosen, actor=actor)
                elif action in ("disable", "enable"):
                    services.set_active(session, user, action == "enable", actor=actor)
                else:
                    abort(400, "action: unknown")
        except services.UserError as exc:
            session.rollback()
            problems = exc.problems
        else:
            session.commit()
            flash(f"User {user.username} {'created' if action == 'create' else 'updated'}.")
            return redirect(url_for("users.manage"))
    rows = session.scalars(select(User).order_by(User.username)).all()
    return render_template("users/manage.html", users=rows, roles=ROLES, problems=problems), 400 if problems else 200


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
@roles("admin")
def reset_password(user_id: int):
    """An administrator sets a new password for another user (audited; the user is enabled again)."""
    user = get_or_404(User, user_id, "user")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        session = db.session()
        try:
            services.reset_password(session, user, form.new.data, actor=current_db_user(),
                                    how=f"Password of {user.username} reset by an administrator")
        except services.UserError as exc:
            session.rollback()
            form.new.errors = list(form.new.errors) + [p.removeprefix("password: ") for p in exc.problems]
        else:
            session.commit()
            flash(f"The password of {user.username} has been reset.")
            return redirect(url_for("users.manage"))
    return render_template("users/reset_password.html", form=form, user=user), 400 if form.errors else 200
