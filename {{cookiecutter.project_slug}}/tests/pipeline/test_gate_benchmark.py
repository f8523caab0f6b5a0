"""`make bench-gate`: every stage of the data gate measured on synthetic rows."""

from {{ cookiecutter.package_name }}.bench.gate import (
    STAGES,
    measure,
    table,
)


def test_the_gate_benchmark_measures_each_stage(project) -> None:
    params, layout = project
    measures = measure(params, layout, 1_000)
    assert [m.stage for m in measures] == list(STAGES)
    assert all(m.ok and m.seconds > 0 and m.peak_mib > 50 for m in measures)
    printed = table({1_000: measures}, params.validation.max_rows)
    assert "| 1,000 |" in printed and printed.rstrip().endswith("| passed |")
