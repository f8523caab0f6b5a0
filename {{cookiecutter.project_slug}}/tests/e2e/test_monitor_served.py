"""`monitor` on what the real service logged: the bento under `bentoml serve` answers clean
traffic, then drifted traffic, each request under an id of this test's own; the verdicts come
from the rows the service wrote, read back from its log (shared with the other tests: only
this test's requests are kept)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.monitoring import monitor

from ..conftest import CLASSIFICATION, TARGET, write_params
from .test_reports_render import DRAWN, PLOT, rendered_dom
from .test_service import _eventually, _post

pytestmark = pytest.mark.e2e
REQUEST_ROWS = 100


def _send(url: str, frame: pd.DataFrame, prefix: str) -> list[str]:
    """`frame` as /predict_batch requests of REQUEST_ROWS rows; the ids answered."""
    ids = []
    for start in range(0, len(frame), REQUEST_ROWS):
        # to_dict, not to_json: to_json rounds to 10 digits, and a two-valued code stored as a
        # float, rounded, is a value the model never saw
        rows = frame.iloc[start : start + REQUEST_ROWS].to_dict(orient="records")
        status, body, rid = _post(f"{url}/predict_batch", {"rows": rows}, f"{prefix}-{start}")
        assert status == 200, body
        ids.append(rid)
    return ids


def _own_rows(log: Path, ids: list[str], expected: int, into: Path) -> Path:
    """The shared log's lines of these requests, once all are written, as a log of their own."""
    wanted = set(ids)

    def written() -> list[str]:
        """every row of these requests is in the log"""
        if not log.is_file():  # the writer has not flushed its first batch yet
            return []
        lines = [line for line in log.read_text().splitlines()
                 if json.loads(line).get("request_id") in wanted]  # fmt: skip
        return lines if len(lines) == expected else []

    into.parent.mkdir(parents=True, exist_ok=True)
    into.write_text("\n".join(_eventually(written, 60)) + "\n", encoding="utf-8")
    return into


def test_served_traffic_clean_drifted_and_with_labels_of_a_changed_world(
    service: str, built: Path, tmp_path: Path
) -> None:
    uri = f"sqlite:///{built / 'mlflow.db'}"
    params = load_params(write_params(tmp_path, **{"mlflow.tracking_uri": uri}))
    layout = Layout(tmp_path)
    test = pd.read_parquet(built / "data" / "prepared" / "test.parquet")
    copies = math.ceil(params.monitoring.min_rows / len(test))
    traffic = pd.concat([test] * copies, ignore_index=True)
    features = traffic.drop(columns=[TARGET])
    shifted = sorted((c for c in features.columns if features[c].dtype.kind == "f"),
                     key=lambda c: -features[c].nunique())[:3]  # fmt: skip
    drifted = features.copy()
    for column in shifted:  # a sensor change: the values move, their spread too
        drifted[column] = drifted[column] * 1.5 + drifted[column].std()
    shared = built / "prediction-logs" / "predictions.jsonl"

    clean_ids = _send(service, features, "clean")
    clean = _own_rows(shared, clean_ids, len(features), tmp_path / "clean" / "log.jsonl")
    found = monitor.run(params, layout, log=clean)
    assert found["status"] == "no drift", [c for c in found["checks"] if c["status"] == "failed"]
    assert found["window"]["rows"] == len(features) and found["refused"]["refused"] == 0

    drift_ids = _send(service, drifted, "drifted")
    moved = _own_rows(shared, drift_ids, len(drifted), tmp_path / "drifted" / "log.jsonl")
    found = monitor.run(params, layout, log=moved)
    assert found["status"] == "drift" and set(found["drifted_features"]) == set(shifted)
    report = tmp_path / found["report"]  # kept beside it: its plotly script is shared there
    page = shutil.copy(report, report.with_name("drifted-window.html"))

    # the labels arrive: the world changed under the model, so its right answers are now wrong
    label = traffic[TARGET]
    if CLASSIFICATION:
        values = sorted(label.unique())
        label = label.map(dict(zip(values, [*values[1:], values[0]], strict=True)))
    else:
        label = label * -3 + label.std() * 5
    keys = [(rid, row) for rid in clean_ids for row in range(REQUEST_ROWS)][: len(traffic)]
    labels = pd.DataFrame(keys, columns=["request_id", "row"]).assign(**{TARGET: label})
    labels.to_csv(tmp_path / "labels.csv", index=False)
    found = monitor.run(params, layout, log=clean, labels=tmp_path / "labels.csv")
    assert found["status"] == "drift" and found["drifted_features"] == {}
    assert found["live_metrics"]["labelled_rows"] == len(traffic)
    (decay,) = [check for check in found["checks"] if check["check"] == "Live Metrics"]
    assert decay["status"] == "failed" and "worse" in decay["details"]

    # the drifted window's deepchecks page, as a reader opens it: offline, every plot drawn
    plots = Path(page).read_text(encoding="utf-8").count(PLOT)
    dom = rendered_dom(Path(page), tmp_path / "browser-profile")
    assert "Feature Drift" in dom and plots and dom.count(DRAWN) >= 2 * plots
