"""`monitor --labels`: ground truth that arrives later, joined on (request_id, row) with the
logged rows and scored as `evaluate` scores the test split."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.monitoring import monitor
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog

from ..conftest import CLASSIFICATION, TARGET
from .logged_traffic import log_rows, model_of, project, traffic


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
    _, params, layout = project(registered, workdir)
    log = log_rows(
        registered, workdir / "log" / "predictions.parquet", traffic(registered, copies=1)
    )
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
    _, params, layout = project(registered, workdir)
    log = log_rows(
        registered, workdir / "log" / "predictions.parquet", traffic(registered, copies=1)
    )
    (workdir / "labels.csv").write_text(content, encoding="utf-8")
    with pytest.raises(PipelineError, match=message):
        monitor.run(params, layout, log=log, labels=workdir / "labels.csv")


# Labels the model cannot be scored on, per task: each is refused naming the file before the
# drift suite runs, never a raw error after it, and never read as another value (1.5 as 1).
UNSCORABLE = (
    {"text": "training label's type", "1.5": "change when read as",
     "inf": "training label's type", "7": "never learned"}
    if CLASSIFICATION
    else {"text": "training label's type", "inf": "infinite", "-inf": "infinite"}
)  # fmt: skip


@pytest.mark.parametrize("label", sorted(UNSCORABLE))
def test_labels_the_model_cannot_be_scored_on_are_refused_first(
    label: str, registered, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, params, layout = project(registered, workdir)
    log = log_rows(
        registered, workdir / "log" / "predictions.parquet", traffic(registered, copies=1)
    )
    labels = _labels(registered, workdir / "labels.csv", False)
    table = pd.read_csv(labels).astype({TARGET: object})
    table.loc[3, TARGET] = label
    table.to_csv(labels, index=False)
    monkeypatch.setattr(monitor.drift, "compare", _never)
    with pytest.raises(PipelineError, match=rf"--labels {labels}: .*{UNSCORABLE[label]}"):
        monitor.run(params, layout, log=log, labels=labels)


def _never(*args, **kwargs):
    raise AssertionError("the drift suite ran before the labels were checked")


def test_ids_that_read_as_missing_in_csv_are_ids_and_a_reused_id_is_left_out(
    registered, workdir: Path
) -> None:
    """ "NA" and "null" are ids a client may send; rows of two requests sent with one id are
    ambiguous, so they are counted and left out of the join, never given another's label."""
    _, params, layout = project(
        registered, workdir, **{"monitoring.min_labels": 1, "monitoring.min_rows": 100}
    )
    rows = traffic(registered, copies=1).iloc[:150].reset_index(drop=True)
    model = model_of(registered)
    log = PredictionLog(str(workdir / "log" / "predictions.parquet"))
    for rid, part in (("NA", rows.iloc[:50]), ("null", rows.iloc[50:100])):
        log.record("1", part, {"prediction": model.predict(part).tolist()}, rid)
    for part in (rows.iloc[100:125], rows.iloc[125:150]):  # one id, two requests
        log.record("1", part, {"prediction": model.predict(part).tolist()}, ("same", uuid4().hex))
    log.close()
    _, frame = registered
    ids = ["NA"] * 50 + ["null"] * 50 + ["same"] * 25
    table = pd.DataFrame({"request_id": ids, "row": [*range(50), *range(50), *range(25)],
                          TARGET: frame[TARGET].iloc[:125].to_numpy()})  # fmt: skip
    table.to_csv(workdir / "labels.csv", index=False)
    found = monitor.run(params, layout, log=log.path, labels=workdir / "labels.csv")
    live = found["live_metrics"]
    assert live["labelled_rows"] == 100 and live["ambiguous_rows"] == 50, live
    (check,) = [check for check in found["checks"] if check["check"] == "Live Metrics"]
    assert "reused X-Request-ID" in check["details"]
    assert found["refused"]["requests"] == 4  # counted by each request's own key
