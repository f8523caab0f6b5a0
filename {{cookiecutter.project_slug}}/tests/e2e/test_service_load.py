"""The served bento under sustained load (wrk, or locust without it): no failed request,
memory that stays flat.

`make bench-serve` runs the full comparison and a 60 s soak; this is its shorter soak, so CI
catches a leak or an error under concurrency without the benchmark's minutes.
"""

import json
import os
import shutil

import pytest

from {{ cookiecutter.package_name }}.bench.load import (
    load_generator,
    wrk,
)
from {{ cookiecutter.package_name }}.bench.serve import (
    server_pid,
    soak,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SECONDS = int(os.environ.get("LOAD_TEST_SECONDS", "20"))
WARMUP = int(os.environ.get("LOAD_TEST_WARMUP", "60"))  # as the benchmark: memory settles first
USERS = 8  # twice the benchmark's concurrency (make bench-serve --users 4)


def test_sustained_load_has_no_errors_and_flat_memory(service: str, rows: list[dict]) -> None:
    # The benchmark's generator: wrk where installed, whose C client leaves the server the
    # machine (locust's Python client takes a core of its own, starving a loaded runner).
    load = load_generator()
    report = soak(service, server_pid(service), rows[0], USERS, SECONDS, WARMUP, load)
    print(json.dumps(report, indent=2))
    result = report["result"]
    assert result["requests"] > 100 and result["failures"] == 0, result
    assert report["memory_growth"] < 0.10, report


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (apt-get install wrk)")
def test_wrk_counts_answers_and_refusals(service: str, rows: list[dict]) -> None:
    """The benchmark's default generator where installed: its figures must be real counts."""
    assert load_generator() is wrk
    good = wrk(service, "/predict", {"rows": rows[:1]}, 2, 3)
    assert good.requests > 20 and good.failures == 0, good
    assert 0 < good.p50_ms <= good.p99_ms
    bad = wrk(service, "/predict", {"rows": [{"no such feature": 1}]}, 2, 3)
    assert bad.requests > 20 and bad.failures == bad.requests, bad  # every 400 is a failure
