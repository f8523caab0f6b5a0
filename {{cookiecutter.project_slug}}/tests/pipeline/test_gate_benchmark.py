"""`make bench-gate`: every stage of the data gate measured on synthetic rows."""

import yaml

from {{ cookiecutter.package_name }}.bench.gate import (
    STAGES,
    measure,
    run_gate,
    table,
)


def test_the_gate_benchmark_measures_each_stage(project) -> None:
    params, layout = project
    run = measure(params, layout, 1_000)
    assert list(run.stages) == list(STAGES) and run.ok
    assert all(seconds > 0 for seconds in run.stages.values())
    assert run.total_s > sum(run.stages.values()) and run.peak_mib > 50
    printed = table({1_000: run}, params.validation.max_rows)
    assert "| 1,000 |" in printed and printed.rstrip().endswith("| passed |")


def test_a_failed_stage_is_never_reported_as_passed(project, tmp_path) -> None:
    """A gate that fails (here: a data source that is not there) reads FAILED, with the reason."""
    params, _ = project
    raw = params.model_dump(mode="json")
    raw["data"]["source"] = "missing.csv"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    run = run_gate(tmp_path)
    assert not run.ok and "extract" not in run.stages and "missing.csv" in run.error
    printed = table({100: run}, params.validation.max_rows)
    assert "| passed |" not in printed and "FAILED: " in printed
