"""`monitor`: a window of the prediction log against the serving model's training reference.

The log is written by the service's own writer (serving/prediction_log.py) with the model's
own answers; the verdict is read from the exit status, the JSON and Markdown summaries, the
deepchecks page and the MLflow run.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import mlflow
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.monitoring import monitor
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog

from ..conftest import cli, write_params
from .logged_traffic import columns, log_rows, project, traffic


def test_clean_traffic_is_no_drift_and_drifted_traffic_names_its_columns(
    registered, workdir: Path
) -> None:
    """The clean window in-process, the drifted one through the CLI (its exit status and lines)."""
    path, params, layout = project(registered, workdir)
    clean = log_rows(registered, workdir / "clean" / "predictions.parquet", traffic(registered))
    summary = monitor.run(params, layout, log=clean)
    found = json.loads((layout.monitoring / "monitor.json").read_text(encoding="utf-8"))
    assert found == json.loads(json.dumps(summary))
    assert found["window"]["rows"] == 2 * len(registered[1])
    assert found["status"] == "no drift" and found["model"]["version"] == "1"
    assert found["drifted_features"] == {} and found["reference"].startswith("version 1")
    page = (workdir / found["report"]).read_text(encoding="utf-8")
    assert "Feature Drift" in page and "Prediction Drift" in page
    run = mlflow.MlflowClient(load_params(path).mlflow.tracking_uri).get_run(found["mlflow_run_id"])
    assert run.data.tags["model.version"] == "1" and run.data.tags["kind"] == "monitoring"
    assert run.data.tags["monitoring.status"] == "no drift"

    drifted = traffic(registered, shift=True)
    log = log_rows(registered, workdir / "drifted" / "predictions.parquet", drifted)
    done = cli("monitor", "--params", str(path), "--log", str(log), cwd=workdir)
    assert done.returncode == 3, done.stdout + done.stderr
    rows = 2 * len(registered[1])
    assert done.stdout.startswith(f"monitor: drift ({rows:,} rows, the last 7d)"), done.stdout
    found = json.loads((layout.monitoring / "monitor.json").read_text(encoding="utf-8"))
    _, frame = registered
    assert found["status"] == "drift"
    assert set(found["drifted_features"]) == set(columns(frame))
    assert all(repr(column) in done.stdout for column in columns(frame))  # named on the console
    markdown = (layout.monitoring / "monitor.md").read_text(encoding="utf-8")
    assert markdown.startswith("## Monitoring: drift") and "| Feature Drift |" in markdown


def test_a_small_window_is_not_enough_data(registered, workdir: Path) -> None:
    path, params, layout = project(registered, workdir)
    log = log_rows(registered, workdir / "log" / "predictions.parquet", traffic(registered))
    done = cli("monitor", "--params", str(path), "--log", str(log), "--last", "50", cwd=workdir)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "not enough data (50 rows, the newest 50)" in done.stdout
    assert "monitoring.min_rows" in done.stdout
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)  # every row older than the window
    found = monitor.run(params, layout, log=log, now=later)
    assert found["status"] == "not enough data" and found["window"]["rows"] == 0


def test_only_the_serving_versions_rows_are_compared(registered, workdir: Path) -> None:
    """Rows of an older version in the window are left out, and the summary counts them."""
    count = len(registered[1])
    _, params, layout = project(registered, workdir, **{"monitoring.min_rows": count + 1})
    folder = workdir / "log"
    log_rows(registered, folder / "predictions.parquet", traffic(registered, copies=1), "0")
    log = log_rows(registered, folder / "predictions.parquet", traffic(registered, copies=1), "1")
    found = monitor.run(params, layout, log=log)
    assert found["window"]["versions"] == {"0": count, "1": count}
    assert found["window"]["rows"] == count and found["status"] == "not enough data"


def test_a_json_lines_log_is_read_too(registered, workdir: Path) -> None:
    _, params, layout = project(registered, workdir)
    log = log_rows(registered, workdir / "log" / "predictions.jsonl", traffic(registered))
    assert monitor.run(params, layout, log=log)["status"] == "no drift"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: folder / "predictions.parquet", "no prediction log at"),
        (lambda folder: _write(folder / "predictions-1.parquet", b"PAR1 torn"), "cannot be read"),
        (lambda folder: _write(folder / "log.jsonl", b'{"at": "2026"}\n{"at'), "log.jsonl:2"),
    ],
    ids=["no log", "a damaged part", "a half-written JSON line"],
)
def test_a_bad_log_is_named(make, message: str, registered, workdir: Path) -> None:
    _, params, layout = project(registered, workdir)
    folder = workdir / "log"
    folder.mkdir()
    path = make(folder)
    target = folder / "predictions.parquet" if path.suffix == ".parquet" else path
    with pytest.raises(PipelineError, match=message):
        monitor.run(params, layout, log=target)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("window", ["3x", "0h", "-1d", "24", "1.5h", ""])
def test_a_bad_window_is_refused(window: str, registered, workdir: Path) -> None:
    _, params, layout = project(registered, workdir)
    with pytest.raises(PipelineError, match="is not a duration"):
        monitor.run(params, layout, span=window or " ", log=workdir / "predictions.parquet")
    with pytest.raises(PipelineError, match=r"monitoring\.window"):
        load_params(write_params(workdir / "bad", **{"monitoring.window": window}))


def test_many_refused_requests_are_a_drift_though_few_rows_were_scored(
    registered, workdir: Path
) -> None:
    _, params, layout = project(registered, workdir)
    path = workdir / "log" / "predictions.parquet"
    log = PredictionLog(str(path))
    for number in range(30):
        log.refused("1", f"bad-{number}", "400: rows[0].size: Field required")
    log.close()
    found = monitor.run(params, layout, log=path)
    assert found["status"] == "drift" and found["refused"]["share"] == 1.0
    (refused,) = [check for check in found["checks"] if check["check"] == "Refused Requests"]
    assert refused["status"] == "failed" and "Field required" in refused["details"]
