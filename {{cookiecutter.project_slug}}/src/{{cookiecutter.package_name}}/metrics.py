"""The evaluation metrics: their names per task, which way is better, and how each is scored.

One place for these facts: the params schema validates gate bounds against `NAMES`, the
evaluate stage and the champion comparison score with `score`. scikit-learn is imported only
when scoring, so reading params stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import PipelineError

if TYPE_CHECKING:
    import pandas as pd

NAMES: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc"),
    "regression": ("r2", "rmse", "mae"),
}
DEFAULT_CHAMPION_METRIC = {"classification": "roc_auc", "regression": "r2"}
LOWER_IS_BETTER = frozenset({"rmse", "mae"})


def features_and_label(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    if target not in frame.columns:
        raise PipelineError(
            f"the prepared data has no column {target!r} (made from other data or params?); "
            "run the 'extract' and 'prepare' stages again"
        )
    return frame.drop(columns=[target]), frame[target]


def classification_metrics(
    model: Any, features: pd.DataFrame, label: pd.Series
) -> dict[str, float]:
    from sklearn import metrics

    predicted = model.predict(features)
    binary = len(model.classes_) == 2
    average = "binary" if binary else "macro"
    positive = {"pos_label": model.classes_[1]} if binary else {}
    scores = {
        "accuracy": metrics.accuracy_score(label, predicted),
        "balanced_accuracy": metrics.balanced_accuracy_score(label, predicted),
        "f1": metrics.f1_score(label, predicted, average=average, zero_division=0, **positive),
        "precision": metrics.precision_score(
            label, predicted, average=average, zero_division=0, **positive
        ),
        "recall": metrics.recall_score(
            label, predicted, average=average, zero_division=0, **positive
        ),
    }
    if hasattr(model, "predict_proba") and label.nunique() > 1:
        proba = model.predict_proba(features)
        scores["roc_auc"] = (
            metrics.roc_auc_score(label, proba[:, 1])
            if binary
            else metrics.roc_auc_score(label, proba, multi_class="ovr", labels=model.classes_)
        )
    return {name: float(value) for name, value in scores.items()}


def regression_metrics(model: Any, features: pd.DataFrame, label: pd.Series) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics

    predicted = model.predict(features)
    return {
        "r2": float(metrics.r2_score(label, predicted)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(label, predicted))),
        "mae": float(metrics.mean_absolute_error(label, predicted)),
    }


def score(task: str, target: str, model: Any, test: pd.DataFrame) -> dict[str, float]:
    """Every metric of `task` for `model` on `test` (features and the `target` column)."""
    features, label = features_and_label(test, target)
    if task == "classification":
        return classification_metrics(model, features, label)
    return regression_metrics(model, features, label)
