"""What `monitor` prints: a failed check with its details, and a check that could not run
(labels that joined no logged row) said on the console, not only in monitor.json."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.monitoring.summary import terminal


def test_failed_and_not_run_checks_are_printed_with_their_details() -> None:
    lines = terminal(
        {
            "status": "no drift",
            "window": {"rows": 2182, "description": "the last 7d"},
            "checks": [
                {"check": "Feature Drift", "status": "passed", "details": "all below 0.25"},
                {"check": "Live Metrics", "status": "not run",
                 "details": "0 logged rows have a label:\n ids not in the log"},
                {"check": "Refused Requests", "status": "failed", "details": "12% refused"},
            ],
        }
    )  # fmt: skip
    assert lines[0] == "monitor: no drift (2,182 rows, the last 7d)"
    assert "  (not run) Live Metrics: 0 logged rows have a label: ids not in the log" in lines
    assert "  - Refused Requests: 12% refused" in lines
    assert not any("Feature Drift" in line for line in lines)
