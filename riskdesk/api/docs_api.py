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

# OpenAPI links (what a client, and Schemathesis's stateful phase, can do next with a new object's id):
# (operation, status) -> {link name: (target operation, {parameter: runtime expression})}
LINKS = {
    ("create_proposal", "201"): {
        name: (target, {"proposal_id": "$response.body#/id"}) for name, target in (
            ("read", "get_proposal"), ("update", "update_proposal"), ("assess", "assess"),
            ("assessments", "list_assessments"), ("transitions", "list_transitions"),
            ("transition", "create_transition"), ("mitigations", "list_mitigations"), ("reports", "list_reports"))},
    ("assess", "201"): {
        "assessment": ("get_assessment", {"assessment_id": "$response.body#/id"}),
        "findings": ("findings", {"proposal_id": "$response.body#/proposal_id"}),
        "open_questions": ("open_questions", {"proposal_id": "$response.body#/proposal_id"}),
        "hits": ("list_hits", {"proposal_id": "$response.body#/proposal_id"}),
        "mitigate": ("accept_mitigation", {"proposal_id": "$response.body#/proposal_id"}),
        "issue_report": ("issue_report", {"proposal_id": "$response.body#/proposal_id"})},
    ("issue_report", "201"): {
        "report": ("get_report", {"report_id": "$response.body#/id"}),
        "pdf": ("download_report", {"report_id": "$response.body#/id"})},
}


def _views_by_operation() -> dict[tuple[str, str], tuple[str, list[str]]]:
    """(path, method) -> (endpoint name, roles allowed), from the app's own url_map."""
    found = {}
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            allowed = getattr(current_app.view_functions[rule.endpoint], "allowed_roles", None)
            path = str(rule).replace("<int:", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found[(path, method.lower())] = (rule.endpoint.removeprefix("api."), sorted(allowed or ()))
    return found


def _link_objects(operation_id: str, code: str) -> dict | None:
    links = LINKS.get((operation_id, code))
    if not links:
        return None
    return {name: {"operationId": target, "parameters": parameters} for name, (target, parameters) in links.items()}


def contract() -> dict:
    document = copy.deepcopy(spec.spec)
    views = _views_by_operation()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            operation_id, allowed = views[(path, method)]
            operation["operationId"] = operation_id
            for code, response in operation.get("responses", {}).items():
                links = _link_objects(operation_id, code)
                if links:
                    response["links"] = links
                content = response.get("content") or {}
                if code.startswith(("4", "5")) and "application/json" in content:
                    response["content"] = {PROBLEM_TYPE: content["application/json"]}
                elif code == "200" and path in DOWNLOADS:
                    response["content"] = {DOWNLOADS[path]: {"schema": {"type": "string"}}}
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
