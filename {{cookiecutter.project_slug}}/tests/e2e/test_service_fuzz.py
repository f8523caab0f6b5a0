"""schemathesis against the service's own OpenAPI document: generated requests, valid and
invalid, must never get a 5xx or a response that breaks the documented schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EXAMPLES_PER_OPERATION = 300  # 8 operations: well over 1,000 requests in all
SENT: list[int] = []


@pytest.fixture(scope="session")
def api_schema(service: str):
    return schemathesis.openapi.from_url(f"{service}/docs.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_no_broken_schema(case) -> None:
    response = case.call(timeout=60)
    SENT.append(response.status_code)
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_at_least_a_thousand_requests_were_sent() -> None:
    if not SENT:  # selected alone (-k): there is nothing to count
        pytest.skip("runs after the generated tests of this module")
    assert len(SENT) >= 1_000, f"only {len(SENT)} requests"
    assert any(code == 200 for code in SENT) and any(400 <= code < 500 for code in SENT)
