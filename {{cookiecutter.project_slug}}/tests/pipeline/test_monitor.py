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
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.monitoring import monitor
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog

from ..conftest import TARGET, cli, write_params

SHIFTED = 3


def _columns(frame: pd.DataFrame) -> list[str]:
    floats = [c for c in frame.columns if c != TARGET and frame[c].dtype.kind == "f"]
    return sorted(floats, key=lambda c: frame[c].nunique(), reverse=True)[:SHIFTED]


def _traffic(registered, shift: bool = False, copies: int = 2) -> pd.DataFrame:
    _, frame = registered
    rows = pd.concat([frame.drop(columns=[TARGET])] * copies, ignore_index=True)
    if shift:  # a drift of a kind a sensor change makes: the values move, their spread too
        for column in _columns(frame):
            rows[column] = rows[column] * 1.5 + rows[column].std()
    return rows


def _log(registered, path: Path, rows: pd.DataFrame, version: str = "1") -> Path:
    """The rows as the service logs them, 100 a request, with the model's answers."""
    root, _ = registered
    name = load_params(root / "params.yaml").registry.model_name
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    model = mlflow.sklearn.load_model(f"models:/{name}/1")
    log = PredictionLog(str(path))
    for start in range(0, len(rows), 100):
        chunk = rows.iloc[start : start + 100].reset_index(drop=True)
        log.record(version, chunk, {"prediction": model.predict(chunk).tolist()}, f"r{start}")
    log.close()
    return path


def _project(registered, workdir: Path, **overrides):
    root, _ = registered
    path = write_params(workdir, **{"mlflow.tracking_uri": f"sqlite:///{root / 'mlflow.db'}",
                                    **overrides})  # fmt: skip
    return path, load_params(path), Layout(workdir)


def test_clean_traffic_is_no_drift_and_drifted_traffic_names_its_columns(
    registered, workdir: Path
) -> None:
    """The clean window in-process, the drifted one through the CLI (its exit status and lines)."""
    path, params, layout = _project(registered, workdir)
    clean = _log(registered, workdir / "clean" / "predictions.parquet", _traffic(registered))
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

    drifted = _traffic(registered, shift=True)
    log = _log(registered, workdir / "drifted" / "predictions.parquet", drifted)
    done = cli("monitor", "--params", str(path), "--log", str(log), cwd=workdir)
    assert done.returncode == 3, done.stdout + done.stderr
    rows = 2 * len(registered[1])
    assert done.stdout.startswith(f"monitor: drift ({rows:,} rows, the last 7d)"), done.stdout
    found = json.loads((layout.monitoring / "monitor.json").read_text(encoding="utf-8"))
    _, frame = registered
    assert found["status"] == "drift"
    assert set(found["drifted_features"]) == set(_columns(frame))
    assert all(repr(column) in done.stdout for column in _columns(frame))  # named on the console
    markdown = (layout.monitoring / "monitor.md").read_text(encoding="utf-8")
    assert markdown.startswith("## Monitoring: drift") and "| Feature Drift |" in markdown


def test_a_small_window_is_not_enough_data(registered, workdir: Path) -> None:
    path, params, layout = _project(registered, workdir)
    log = _log(registered, workdir / "log" / "predictions.parquet", _traffic(registered))
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
    _, params, layout = _project(registered, workdir, **{"monitoring.min_rows": count + 1})
    folder = workdir / "log"
    _log(registered, folder / "predictions.parquet", _traffic(registered, copies=1), "0")
    log = _log(registered, folder / "predictions.parquet", _traffic(registered, copies=1), "1")
    found = monitor.run(params, layout, log=log)
    assert found["window"]["versions"] == {"0": count, "1": count}
    assert found["window"]["rows"] == count and found["status"] == "not enough data"


def test_a_json_lines_log_is_read_too(registered, workdir: Path) -> None:
    _, params, layout = _project(registered, workdir)
    log = _log(registered, workdir / "log" / "predictions.jsonl", _traffic(registered))
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
    _, params, layout = _project(registered, workdir)
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
    _, params, layout = _project(registered, workdir)
    with pytest.raises(PipelineError, match="is not a duration"):
        monitor.run(params, layout, span=window or " ", log=workdir / "predictions.parquet")
    with pytest.raises(PipelineError, match=r"monitoring\.window"):
        load_params(write_params(workdir / "bad", **{"monitoring.window": window}))


def _labels(registered, path: Path, wrong: bool) -> Path:
    """The true labels of _traffic's rows, keyed as _log keyed them; or each one wrong."""
    _, frame = registered
    label = frame[TARGET]
    if wrong:  # every answer the model gives is now wrong: the world changed under it
        values = label.unique()
        label = label.map(dict(zip(values, [*values[1:], values[0]], strict=True)))
        if label.dtype.kind == "f":
            label = frame[TARGET] * -3 + frame[TARGET].std() * 5
    index = pd.RangeIndex(len(frame))
    table = pd.DataFrame({"request_id": [f"r{i // 100 * 100}" for i in index],
                          "row": index % 100, TARGET: label.to_numpy()})  # fmt: skip
    table.to_csv(path, index=False)
    return path


def test_labels_give_live_metrics_and_a_model_made_wrong_has_decayed(
    registered, workdir: Path
) -> None:
    _, params, layout = _project(registered, workdir)
    log = _log(registered, workdir / "log" / "predictions.parquet", _traffic(registered, copies=1))
    right = monitor.run(
        params, layout, log=log, labels=_labels(registered, workdir / "r.csv", False)
    )
    assert right["status"] == "no drift", right["checks"]
    assert right["live_metrics"]["labelled_rows"] == len(registered[1])
    wrong = monitor.run(
        params, layout, log=log, labels=_labels(registered, workdir / "w.csv", True)
    )
    assert wrong["status"] == "drift" and wrong["drifted_features"] == {}
    (decay,) = [check for check in wrong["checks"] if check["check"] == "Live Metrics"]
    assert decay["status"] == "failed" and "worse" in decay["details"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("request_id,row\nr0,0\n", "missing: " + TARGET),
        (f"request_id,row,{TARGET}\nr0,0,1\nr0,0,1\n", "repeat a"),
        (f"request_id,row,{TARGET}\nr0,-1,1\n", "whole number"),
    ],
    ids=["no label column", "a repeated key", "a negative row"],
)
def test_a_bad_labels_file_is_named(content: str, message: str, registered, workdir: Path) -> None:
    _, params, layout = _project(registered, workdir)
    log = _log(registered, workdir / "log" / "predictions.parquet", _traffic(registered, copies=1))
    (workdir / "labels.csv").write_text(content, encoding="utf-8")
    with pytest.raises(PipelineError, match=message):
        monitor.run(params, layout, log=log, labels=workdir / "labels.csv")


def test_many_refused_requests_are_a_drift_though_few_rows_were_scored(
    registered, workdir: Path
) -> None:
    _, params, layout = _project(registered, workdir)
    path = workdir / "log" / "predictions.parquet"
    log = PredictionLog(str(path))
    for number in range(30):
        log.refused("1", f"bad-{number}", "400: rows[0].size: Field required")
    log.close()
    found = monitor.run(params, layout, log=path)
    assert found["status"] == "drift" and found["refused"]["share"] == 1.0
    (refused,) = [check for check in found["checks"] if check["check"] == "Refused Requests"]
    assert refused["status"] == "failed" and "Field required" in refused["details"]
