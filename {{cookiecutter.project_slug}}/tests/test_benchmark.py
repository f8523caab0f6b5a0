# Trailing commas keep these imports split, so ruff formats them the same for any package name.
from {{ cookiecutter.package_name }}.benchmark import (
    STAGES,
    measure,
    synthesize,
    table,
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


def test_the_gate_benchmark_measures_each_stage(project) -> None:
    params, layout = project
    measures = measure(params, layout, 1_000)
    assert [m.stage for m in measures] == list(STAGES)
    assert all(m.ok and m.seconds > 0 and m.peak_mib > 50 for m in measures)
    printed = table({1_000: measures}, params.validation.max_rows)
    assert "| 1,000 |" in printed and printed.rstrip().endswith("| passed |")
