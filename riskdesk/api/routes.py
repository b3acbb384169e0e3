"""The API blueprint with every operation registered (the factory imports this module)."""
from __future__ import annotations

from riskdesk.api import docs_api, proposals_api, reference_api, reports_api, workflow_api  # noqa: F401
from riskdesk.api.base import bp
from riskdesk.extensions import csrf

csrf.exempt(bp)  # no session cookie signs an API request in, so there is no cross-site request to forge

__all__ = ["bp"]
