"""`monitor`: a window of the prediction log against the serving model's training reference.

The model is the version that answered the window's newest row; its reference is the sample
its run stored at registration (gates/reference.py). Feature and prediction drift, the share of
requests refused (traffic.py) and, given labels, live metrics against the version's test
metrics (live.py) decide the verdict, `no drift` or `drift` (any check failed); a window with
fewer than `monitoring.min_rows` scored rows of that version and no failed check says
`not enough data` instead of guessing. Each run writes reports/monitoring/, the
deepchecks page reports/deepchecks/monitoring.html, and an MLflow run tagged with the version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

from ..config import Params
from ..errors import PipelineError
from ..gates import reference
from ..gates.report import GateReport
from ..gates.runner import quiet_deepchecks
from ..layout import Layout
from ..schema import categorical_columns, infer_schema
from ..serving.process import located
from ..thresholds import duration
from ..tracking import client, mlflow_module, start_experiment
from . import drift, live, summary, traffic
from .window import Window, read_window


def log_path(layout: Layout) -> Path:
    """The service's log as seen from the project (serving/process.py decides it)."""
    where = located(layout.root)
    if where == "off":
        raise PipelineError("monitor: PREDICTION_LOG is off, so nothing was logged: name --log")
    return Path(where)


def _describe(span: str, last: int | None) -> str:
    return f"the newest {last:,}" if last is not None else f"the last {span}"


def run(
    params: Params,
    layout: Layout,
    span: str | None = None,
    last: int | None = None,
    now: dt.datetime | None = None,
    log: Path | None = None,
    labels: Path | None = None,
) -> dict[str, Any]:
    """Compare, write the summary files and the MLflow run; returns the summary."""
    quiet_deepchecks()
    span = span or params.monitoring.window
    try:
        length = duration(span)
    except ValueError as exc:
        raise PipelineError(f"--window: {exc}") from None
    window = read_window(log or log_path(layout), length, last, now)
    found: dict[str, Any] = {
        "window": {
            "rows": len(window.rows),
            "files": window.files,
            "since": window.since,
            "last": last,
            "description": _describe(span, last),
            "versions": window.versions() if len(window.rows) else {},
        },
        "checks": [],
    }
    (layout.deepchecks / f"{drift.REPORT_KEY}.html").unlink(missing_ok=True)  # not this run's
    if len(window.rows):
        version = str(window.rows["model_version"].iloc[-1])
        rows = window.rows[window.rows["model_version"].astype(str) == version]
        found["model"] = {"name": params.registry.model_name, "version": version}
        window = Window(rows.reset_index(drop=True), window.files, window.since)
    scored, refused = traffic.split(window.rows)
    found["window"]["rows"] = len(scored)
    found["refused"] = traffic.refusals(scored, refused)
    report = GateReport([traffic.check(params.monitoring, found["refused"])])
    minimum = params.monitoring.min_rows
    if len(scored) < minimum:
        found["status"] = "drift" if not report.passed else "not enough data"
        found["checks"] = [check.__dict__ for check in report.checks]
        found["reason"] = (
            f"{len(scored):,} scored rows of the serving model in the window; at least "
            f"{minimum:,} (monitoring.min_rows) give a verdict on drift: widen --window or "
            "wait for traffic"
        )
        if labels is not None:
            found["reason"] += f" (--labels {labels} was not read: no verdict to add it to)"
    else:
        scored_window = Window(scored, window.files, window.since)
        found.update(_compare(params, layout, scored_window, found["model"]["version"], report,
                              labels))  # fmt: skip
    found["files"] = summary.write(layout, found)
    found["mlflow_run_id"] = _log_run(params, layout, found)
    summary.write(layout, found)
    return found


def _compare(
    params: Params,
    layout: Layout,
    window: Window,
    version: str,
    report: GateReport,
    labels: Path | None,
) -> dict[str, Any]:
    name = params.registry.model_name
    try:
        model_version = client(params, layout.root).get_model_version(name, version)
    except Exception as exc:
        raise PipelineError(
            f"monitor: version {version} of {name} (the one that answered the window) is not in "
            f"the tracking store: {str(exc).splitlines()[0][:200]}"
        ) from exc
    stored = reference.stored_reference(params, layout.root, model_version, "serving", "Monitoring")
    if not isinstance(stored, reference.Reference):
        raise PipelineError(f"monitor: {stored.details}")
    model = mlflow_module(params, layout.root).sklearn.load_model(f"models:/{name}/{version}")
    features = window.features
    ref = stored.frame.drop(columns=[params.data.target], errors="ignore")
    shared = [column for column in ref.columns if column in features.columns]
    missing = [column for column in ref.columns if column not in features.columns]
    if missing:
        raise PipelineError(f"monitor: the log has no column(s) {missing[:5]} the model takes")
    labelled = None
    if labels is not None:  # checked before the suite runs: a bad file fails in a second
        target = params.data.target
        kind = stored.frame[target].dtype if target in stored.frame else object
        labelled = live.read_labels(labels, target, kind, getattr(model, "classes_", None))
    categorical = categorical_columns(infer_schema(ref), params.data.categorical)
    scores = drift.compare(
        params,
        layout,
        model,
        ref[shared],
        features[shared],
        window.predictions,
        categorical,
        report,
    )
    metrics: dict[str, Any] | None = None
    if labelled is not None:
        tested = client(params, layout.root).get_run(model_version.run_id).data.metrics
        metrics, decay = live.compare(params, model, window.rows, labelled, shared, tested)
        report.checks.append(decay)
    threshold = params.monitoring.max_feature_drift
    drifted = {
        k: v for k, v in sorted(scores["features"].items(), key=lambda kv: -kv[1]) if v >= threshold
    }
    return {
        "status": "no drift" if report.passed else "drift",
        "reference": stored.note,
        "checks": [check.__dict__ for check in report.checks],
        "drifted_features": drifted,
        "feature_drift": scores["features"],
        "prediction_drift": scores["prediction"],
        "live_metrics": metrics,
        "report": report.reports.get(drift.REPORT_KEY),
    }


def _log_run(params: Params, layout: Layout, found: dict[str, Any]) -> str:
    """A monitoring run in the project's experiment, tagged with the model version it watched."""
    mlflow = start_experiment(params, layout.root, "monitor")
    model = found.get("model") or {}
    with mlflow.start_run(run_name=f"monitor v{model.get('version', '-')}") as active:
        mlflow.set_tags(
            {
                "kind": "monitoring",
                "monitoring.status": found["status"],
                "model.name": params.registry.model_name,
                "model.version": model.get("version", ""),
            }
        )
        metrics = {
            "rows": found["window"]["rows"],
            "drifted_features": len(found.get("drifted_features") or {}),
            "refused_share": found["refused"]["share"],
        }
        for name, value in ((found.get("live_metrics") or {}).get("live") or {}).items():
            metrics[f"live_{name}"] = value
        if found.get("prediction_drift") is not None:
            metrics["prediction_drift"] = found["prediction_drift"]
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(layout.monitoring), artifact_path="monitoring")
        if found.get("report"):
            mlflow.log_artifact(str(layout.root / found["report"]), artifact_path="monitoring")
        run_id = active.info.run_id
    if model.get("version"):
        # the link from the version to its latest verdict, seen in the registry's UI; a version
        # the store does not hold still has the run's tags naming it
        with contextlib.suppress(Exception):
            client(params, layout.root).set_model_version_tag(
                params.registry.model_name,
                model["version"],
                "monitoring.last",
                f"{found['status']} (run {run_id})",
            )
    return run_id
