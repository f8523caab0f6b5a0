"""`make bench-monitor`: `monitor` measured on a synthetic prediction log."""

from {{ cookiecutter.package_name }}.bench.monitor import measure, table


def test_the_monitor_benchmark_measures_a_verdict(project) -> None:
    params, layout = project
    results = measure(params, layout, (2_000,))
    run = results[2_000]
    assert run.get("status") == "no drift", run  # traffic drawn from the data itself
    assert 0 < float(run["monitor_s"]) < float(run["total_s"]) and run["peak_mib"] > 50
    printed = table(results, params.validation.max_rows)
    assert "| 2,000 |" in printed and printed.rstrip().endswith("| no drift |")
