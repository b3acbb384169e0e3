"""Administrators browse the audit trail and export it as CSV."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from riskdesk import db
from riskdesk.audit import trail
from riskdesk.users.access import roles

bp = Blueprint("audit", __name__, url_prefix="/admin")


@bp.route("/audit")
@roles("admin")
def index():
    rows = db.session().scalars(trail.query(request.args).limit(500)).all()
    return render_template("audit/index.html", events=rows, params=request.args)


@bp.route("/audit.csv")
@roles("admin")
def csv_export():
    return Response(trail.csv_text(db.session(), request.args), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="riskdesk-audit.csv"'})
