"""Errors as ``application/problem+json`` (RFC 9457), each with the field path of every problem.

Services raise their own errors with messages of the form "field: what is wrong" (the pages show
those same strings); ``field_problems`` turns such a message into a path and a message.
"""
from __future__ import annotations

import re
from typing import Iterable

from flask import Response, json
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_TYPE = "application/problem+json"
_FIELD_MESSAGE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*): (.+)$", re.S)


class ApiProblem(HTTPException):
    """An API refusal: its status, a human sentence, and optionally one entry per bad field."""

    def __init__(self, status: int, detail: str, errors: Iterable[dict] | None = None,
                 headers: dict | None = None):
        super().__init__(detail)
        self.code = status
        self.errors = list(errors) if errors is not None else None
        self.extra_headers = headers or {}


def field_problems(messages: Iterable) -> list[dict]:
    """``[{"path": ..., "message": ...}]`` from engine Problems or "field: message" strings."""
    out = []
    for item in messages:
        if hasattr(item, "path") and hasattr(item, "message"):
            out.append({"path": str(item.path or ""), "message": str(item.message)})
            continue
        match = _FIELD_MESSAGE.match(str(item))
        out.append({"path": match.group(1), "message": match.group(2)} if match else
                   {"path": "", "message": str(item)})
    return out


def invalid(problems: Iterable, status: int = 422, detail: str | None = None) -> ApiProblem:
    errors = field_problems(problems)
    return ApiProblem(status, detail or "; ".join(f"{e['path']}: {e['message']}" if e["path"] else e["message"]
                                                  for e in errors), errors)


def problem_response(error: HTTPException) -> Response:
    status = error.code or 500
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status,
            "detail": error.description or HTTP_STATUS_CODES.get(status, "Error")}
    errors = getattr(error, "errors", None)
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="riskdesk"'
    if status == 429 and error.get_headers():
        for name, value in error.get_headers():
            if name.lower() == "retry-after":
                response.headers[name] = value
    for name, value in getattr(error, "extra_headers", {}).items():
        response.headers[name] = value
    return response
