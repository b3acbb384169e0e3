"""Schemathesis, a client nobody here wrote, drives every operation of the published contract.

It reads /api/v1/openapi.json from the live app, generates requests from the schemas (valid ones
and, for the negative phase, invalid ones), sends them through the WSGI app with an administrator's
token, and checks each response: no server error, a status code the contract lists, the declared
content type and headers, and a body that matches the response schema. The examples per operation
are bounded (API_FUZZ_EXAMPLES, default 12) so the suite stays within minutes.

One default check is left out: ``positive_data_acceptance`` expects every schema-valid request to
succeed, but the contract cannot say everything the services check (a list file that parses, a
real ISO country or USPS state code, a transition the proposal's status allows), and those are
refused, rightly, with 4xx problems that the contract documents.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from riskdesk.engine.document import country_codes, state_codes
from tests.api.conftest import scenario_document
from tests.conftest import shared_dir

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))

# The intake schema's own formats, so that generated documents can be valid ones (real codes).
schemathesis.openapi.format("iso3166-alpha2", st.sampled_from(sorted(country_codes())))
schemathesis.openapi.format("iso3166-alpha2-or-empty", st.sampled_from(["", *sorted(country_codes())]))
schemathesis.openapi.format("us-state", st.sampled_from(sorted(state_codes())))


@pytest.fixture
def fuzz_app(app, api, published):
    """The app with data for the ids the generator is likely to try: a proposal, its assessment, a list."""
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    lines = (shared_dir() / "data" / "ofac-sdn-2024-05-03.csv").read_text(encoding="utf-8").splitlines(True)[:50]
    assert api["admin"].post("/lists", json={"format": "sdn", "filename": "a.csv", "content": "".join(lines)}) \
        .status_code == 201
    proposal = api["staff"].post("/proposals", json=scenario_document()).get_json()
    assert api["staff"].post(f"/proposals/{proposal['id']}/assess").status_code == 201
    return app


def fuzz(operation, mode: GenerationMode, headers: dict) -> None:
    """Up to EXAMPLES generated requests to one operation, each response checked by every default check."""

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()


def test_every_operation_keeps_its_contract(fuzz_app, secrets):
    # Schemathesis's own pytest loader (from_fixture) does not run under pytest 9, so the same
    # generator and checks are driven through Hypothesis directly, one operation after another.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    headers = {"Authorization": f"Bearer {secrets['admin']}"}
    failures, tried = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tried += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, headers)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - try every operation, report all
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert tried >= 25
    assert failures == [], "\n\n".join(failures)


def test_stateful_sequences_follow_the_contracts_links(fuzz_app, secrets):
    """Create a proposal, then follow its links (read, update, assess, ...), each response checked."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    headers = {"Authorization": f"Bearer {secrets['admin']}"}
    machine = schema.as_state_machine()

    seen: list[tuple[str, int]] = []

    class WithToken(machine):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def after_call(self, response, case):
            super().after_call(response, case)
            seen.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, excluded_checks=[positive_data_acceptance], headers=headers,
                                   recorder=getattr(self, "recorder", None))

    WithToken.run(settings=settings(max_examples=EXAMPLES, stateful_step_count=6, deadline=None, derandomize=True,
                                    database=None, suppress_health_check=list(HealthCheck)))
    created = [status for label, status in seen if label == "POST /api/v1/proposals"]
    followed = {label for label, status in seen if "{proposal_id}" in label and status < 300}
    assert 201 in created, seen  # generated intake documents were valid, so there were links to follow
    assert followed, seen
