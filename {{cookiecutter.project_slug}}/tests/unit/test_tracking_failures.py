"""A failure of the tracking server or its stores is named as one, in a few words; any other
failure is left alone (it is not the server's)."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.tracking import failure_reason, store_failure

API = "API request to http://127.0.0.1:5000/api/2.0/mlflow"


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (f"{API}/runs/get failed with exception HTTPConnectionPool(host='127.0.0.1', port=5000): "
         "Max retries exceeded (Caused by NewConnectionError('Connection refused'))",
         "did not answer (connection refused)"),
        (f"{API}/runs/get failed with exception ('Connection aborted.', "
         "ConnectionResetError(104, 'Connection reset by peer'))", "did not answer (connection reset)"),
        (f"{API}/runs/get failed with exception Read timed out. (read timeout=20)",
         "did not answer in time"),
        (f"{API}-artifacts/artifacts/1/r/artifacts/reports/m.json failed with exception "
         "Max retries exceeded (Caused by ResponseError('too many 500 error responses'))",
         "failed with HTTP 500"),
        (f"{API}-artifacts/artifacts/1/r/m.json failed with error code 500 != 200. Response body: "
         "'<Error><Code>AccessDenied</Code></Error>'", "its object store refused (AccessDenied)"),
        (f"{API}/runs/create failed with error code 503 != 200", "failed with HTTP 503"),
    ],
)  # fmt: skip
def test_failures_of_the_server_are_named(message: str, said: str) -> None:
    assert said in (store_failure(RuntimeError(message)) or "")
    assert failure_reason(RuntimeError(message), "http://srv").startswith("MLflow at http://srv ")


@pytest.mark.parametrize(
    "message",
    ["RESOURCE_DOES_NOT_EXIST: Registered Model with name=m not found",
     "INVALID_PARAMETER_VALUE: bad alias", "failed with error code 404 != 200"],
)  # fmt: skip
def test_other_failures_are_not_the_servers(message: str) -> None:
    assert store_failure(RuntimeError(message)) is None
    assert failure_reason(RuntimeError(message)) == f"RuntimeError: {message}"
