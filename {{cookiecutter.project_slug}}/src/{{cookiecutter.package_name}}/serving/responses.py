"""What the service answers: one prediction, a column-wise batch, the metadata."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field


def _absent(value: Any) -> bool:
    return value is None or value == []


class Prediction(BaseModel):
    prediction: float | int | str | bool | None
    # a classifier's answer only: a regressor's carries no such key
    probabilities: dict[str, float] | None = Field(default=None, exclude_if=_absent)
    model_version: str
    error: str | None = None  # set only for a row the model could not score
    warning: str | None = Field(default=None, exclude_if=_absent)  # e.g. an unseen category


class BatchResponse(BaseModel):
    """Column-wise, for large batches: row i is predictions[i] (and probabilities[i])."""

    model_name: str
    model_version: str
    request_id: str  # also the X-Request-ID header; row i is logged as (request_id, i)
    rows: int
    # the order of each row's probabilities: a classifier's answer only, like probabilities
    classes: list[str] = Field(default=[], exclude_if=_absent)
    predictions: list[float | int | str | bool | None]
    probabilities: list[list[float]] = Field(default=[], exclude_if=_absent)
    errors: dict[str, str] = {}  # row index -> why the model could not score that row
    warnings: dict[str, str] = Field(default={}, exclude_if=_absent)  # row index -> e.g. unseen


@dataclass
class Scores:
    """A batch's answers as columns: cheap to build, to serialise and to log."""

    predictions: list[Any]
    probabilities: list[list[float]] | None
    errors: dict[int, str] = field(default_factory=dict)
    warnings: dict[int, str] = field(default_factory=dict)  # scored, but see why

    def __add__(self, other: Scores) -> Scores:
        offset = len(self.predictions)
        both = None
        if self.probabilities is not None or other.probabilities is not None:
            width = len((self.probabilities or other.probabilities or [[]])[0])
            fill = [[float("nan")] * width]
            both = (self.probabilities or fill * len(self.predictions)) + (
                other.probabilities or fill * len(other.predictions)
            )
        errors = {**self.errors, **{offset + i: why for i, why in other.errors.items()}}
        warnings = {**self.warnings, **{offset + i: why for i, why in other.warnings.items()}}
        return Scores(self.predictions + other.predictions, both, errors, warnings)

    def columns(self, classes: list[str]) -> dict[str, Any]:
        """One value per prediction in each column, for the prediction log (no frame: a frame
        per request cost the log's thread more than all else it does)."""
        columns: dict[str, Any] = {"prediction": self.predictions}
        if self.probabilities is not None:
            by_class = np.asarray(self.probabilities, dtype=float).reshape(
                len(self.predictions), -1
            )
            columns |= {f"probability.{name}": by_class[:, i] for i, name in enumerate(classes)}
        # always there, typed as text, so every log file has the same columns
        for name, notes in (("error", self.errors), ("warning", self.warnings)):
            texts = [notes.get(index) for index in range(len(self.predictions))]
            columns[name] = pd.array(texts, dtype="string")
        return columns


def not_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


class Metadata(BaseModel):
    model_name: str
    model_version: str
    alias: str
    git_commit: str
    data_sha256: str
    mlflow_run_id: str
    task: str
    features: dict[str, str]
    ignored_columns: list[str]  # left out of an uploaded table: the target, data.drop
    classes: list[str]
    metrics: dict[str, float]
    ready: bool
    load_error: str | None
    scorer: dict[str, Any]
    prediction_log: dict[str, Any]
