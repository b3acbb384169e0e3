"""The contract: the OpenAPI 3.1 document SpecTree generates from the views, and a plain HTML page of it.

The generated document is adjusted in one place: refusals are served as application/problem+json,
file downloads as their own media types, and every operation's roles are written into it.
"""
from __future__ import annotations

import copy

from flask import current_app, jsonify, render_template

from riskdesk.api.base import bp, spec
from riskdesk.api.problems import PROBLEM_TYPE

DOWNLOADS = {"/api/v1/reports/{report_id}/pdf": "application/pdf", "/api/v1/audit.csv": "text/csv"}


def _roles_by_operation() -> dict[tuple[str, str], list[str]]:
    found = {}
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            allowed = getattr(current_app.view_functions[rule.endpoint], "allowed_roles", None)
            path = str(rule).replace("<int:", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found[(path, method.lower())] = sorted(allowed or ())
    return found


def contract() -> dict:
    document = copy.deepcopy(spec.spec)
    roles = _roles_by_operation()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content") or {}
                if code.startswith(("4", "5")) and "application/json" in content:
                    response["content"] = {PROBLEM_TYPE: content["application/json"]}
                elif code == "200" and path in DOWNLOADS:
                    response["content"] = {DOWNLOADS[path]: {"schema": {"type": "string"}}}
            allowed = roles.get((path, method), [])
            operation["x-roles"] = allowed
            operation["description"] = (operation.get("description") or "") + \
                f"\n\nRoles: {', '.join(allowed) or 'none'}."
    return document


@bp.get("/openapi.json")
def openapi():
    return jsonify(contract())


@bp.get("/docs")
def docs():
    return render_template("api/docs.html", contract=contract())
