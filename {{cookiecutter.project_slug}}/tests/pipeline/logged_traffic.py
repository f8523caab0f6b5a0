"""A prediction log as the service writes it (serving/prediction_log.py), with the registered
model's own answers: the monitor tests' traffic, clean or drifted."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog

from ..conftest import TARGET, write_params

SHIFTED = 3


def columns(frame: pd.DataFrame) -> list[str]:
    floats = [c for c in frame.columns if c != TARGET and frame[c].dtype.kind == "f"]
    return sorted(floats, key=lambda c: frame[c].nunique(), reverse=True)[:SHIFTED]


def traffic(registered, shift: bool = False, copies: int = 2) -> pd.DataFrame:
    _, frame = registered
    rows = pd.concat([frame.drop(columns=[TARGET])] * copies, ignore_index=True)
    if shift:  # a drift of a kind a sensor change makes: the values move, their spread too
        for column in columns(frame):
            rows[column] = rows[column] * 1.5 + rows[column].std()
    return rows


def model_of(registered):
    root, _ = registered
    name = load_params(root / "params.yaml").registry.model_name
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    return mlflow.sklearn.load_model(f"models:/{name}/1")


def log_rows(registered, path: Path, rows: pd.DataFrame, version: str = "1") -> Path:
    """The rows as the service logs them, 100 a request, with the model's answers."""
    model = model_of(registered)
    log = PredictionLog(str(path))
    for start in range(0, len(rows), 100):
        chunk = rows.iloc[start : start + 100].reset_index(drop=True)
        log.record(version, chunk, {"prediction": model.predict(chunk).tolist()}, f"r{start}")
    log.close()
    return path


def project(registered, workdir: Path, **overrides):
    root, _ = registered
    path = write_params(workdir, **{"mlflow.tracking_uri": f"sqlite:///{root / 'mlflow.db'}",
                                    **overrides})  # fmt: skip
    return path, load_params(path), Layout(workdir)
