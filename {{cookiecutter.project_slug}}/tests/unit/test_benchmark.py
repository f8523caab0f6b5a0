# Trailing commas keep these imports split, so ruff formats them the same for any package name.
from {{ cookiecutter.package_name }}.bench.gate import (
    synthesize,
)
from {{ cookiecutter.package_name }}.bench.load import (
    Result,
    median_run,
)
from {{ cookiecutter.package_name }}.bench.serve import (
    table as serving_table,
)
from {{ cookiecutter.package_name }}.stages.extract import (
    load_source,
)


def test_synthetic_rows_keep_the_shape_and_are_not_copies(project) -> None:
    params, layout = project
    source = load_source(params.data, layout.root)
    rows = synthesize(source, 2_000, params.data.target, seed=0)
    assert len(rows) == 2_000 and list(rows.columns) == list(source.columns)
    assert (rows.dtypes == source.dtypes).all()
    assert not rows.duplicated().any()


def _result(
    target: str, rows: int = 1, per_s: float = 100.0, p99: float = 10.0, failures: int = 0
) -> dict:
    return {"target": target, "rows_per_request": rows, "requests": 1_000, "failures": failures,
            "requests_per_s": per_s, "rows_per_s": per_s * rows, "p50_ms": 5.0, "p99_ms": p99}  # fmt: skip


def test_the_serving_verdicts_follow_the_figures() -> None:
    results = [
        _result("in-process predict", 10_000, per_s=30),
        _result("in-process predict"),
        _result("bento, single row, 1 user", p99=12),
        _result("bento, single row, 2 users", p99=15),
        _result("bento, single row", per_s=100, p99=25),
        _result("bento, batched", 100, per_s=50),
        _result("bento, Parquet file", 10_000, per_s=10),
        _result("mlflow models serve, single row", per_s=40),
    ]
    printed = serving_table({"users": 4, "seconds": 20, "results": results, "soak": None})
    assert "2.50x mlflow's (target at least 2x: met)" in printed
    assert "25.0 ms at 4 users (target under 20 ms: NOT met); 12.0 ms at 1 user; 15.0 ms" in printed
    assert "Parquet file) is 33% of the in-process ceiling (target at least 30%: met)" in printed


def test_no_verdict_is_met_on_failed_requests() -> None:
    """Figures that would meet every target, from runs with failures: none is met."""
    results = [
        _result("in-process predict", 10_000, per_s=30),
        _result("bento, single row", per_s=100, p99=5, failures=3),
        _result("bento, batched", 100, per_s=3_000, failures=1_000),
        _result("bento, Parquet file", 10_000, per_s=600, failures=1),
        _result("mlflow models serve, single row", per_s=10),
    ]
    soak = {"result": _result("bento soak (8 users, 20 s)", failures=2), "warmup_s": 60,
            "memory_before_mib": 100.0, "memory_after_mib": 100.0, "memory_growth": 0.0}  # fmt: skip
    printed = serving_table({"users": 4, "seconds": 20, "results": results, "soak": soak})
    verdicts = [line for line in printed.splitlines() if line.startswith("- ")]
    assert len(verdicts) == 4
    assert all("NOT met, requests failed (" in line for line in verdicts), printed
    assert (
        "bento, batched: 1,000 of 1,000" in printed and "bento, Parquet file: 1 of 1,000" in printed
    )
    nothing = {**_result("mlflow models serve, single row"), "requests": 0}
    printed = serving_table({"users": 4, "seconds": 20, "soak": None,
                             "results": [*results[:1], _result("bento, single row"),
                                         _result("bento, batched", 100), nothing]})  # fmt: skip
    assert "mlflow's (target at least 2x: NOT met, requests failed (mlflow" in printed


def test_wrk_and_locust_count_answered_requests_only() -> None:
    """The generators' own summaries, as they print them: failures are not throughput."""
    from {{ cookiecutter.package_name }}.bench import load

    assert load.answered_per_s(requests=1_000, failures=1_000, seconds=10.0) == 0.0
    assert load.answered_per_s(requests=1_000, failures=250, seconds=10.0) == 75.0


def test_the_median_run_is_reported_and_every_run_shown() -> None:
    """A burst from a neighbour moves one run's tail: the median run stands, all are printed."""
    p99s = iter([30.0, 9.0, 12.0, float("nan"), 11.0])

    def scripted_load(url, path, body, users, seconds, rows=None, content_type=""):
        p99 = next(p99s)  # figures chosen here: this tests the choice, not a server
        return Result("", 1, 100, 0, 50.0, min(p99, 5.0), p99)

    chosen = median_run(scripted_load, "http://x", {"rows": [{}]}, 4, 1, repeats=3)
    assert chosen.p99_ms == 12.0 and chosen.p99_runs_ms == [9.0, 12.0, 30.0]
    with_gap = median_run(scripted_load, "http://x", {"rows": [{}]}, 4, 1, repeats=2)
    assert with_gap.p99_ms == 11.0  # a run that completed nothing (NaN) counts as the worst
    single = {**_result("bento, single row", p99=12.0), "p99_runs_ms": chosen.p99_runs_ms}
    results = [
        _result("in-process predict", 10_000, per_s=30),
        single,
        _result("bento, batched", 100, per_s=50),
        _result("mlflow models serve, single row", per_s=40),
    ]
    printed = serving_table({"users": 4, "seconds": 20, "results": results, "soak": None})
    assert "(target under 20 ms: met) (median of 3 runs: 9.0, 12.0, 30.0)" in printed
