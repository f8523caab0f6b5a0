"""Stage 6, evaluate: task-appropriate metrics of the trained model on the held-out test set."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.pipeline import Pipeline

from ..config import Params
from ..layout import Layout, require, write_json
from .train import features_and_label


def classification_metrics(
    model: Pipeline, features: pd.DataFrame, label: pd.Series
) -> dict[str, float]:
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


def regression_metrics(
    model: Pipeline, features: pd.DataFrame, label: pd.Series
) -> dict[str, float]:
    predicted = model.predict(features)
    return {
        "r2": float(metrics.r2_score(label, predicted)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(label, predicted))),
        "mae": float(metrics.mean_absolute_error(label, predicted)),
    }


def score(params: Params, model: Pipeline, test: pd.DataFrame) -> dict[str, float]:
    features, label = features_and_label(test, params.data.target)
    if params.task == "classification":
        return classification_metrics(model, features, label)
    return regression_metrics(model, features, label)


def run(params: Params, layout: Layout) -> dict[str, float]:
    model = joblib.load(require(layout.model, "train"))
    test = pd.read_parquet(require(layout.test_data, "prepare"))
    scores = score(params, model, test)
    write_json(layout.metrics, scores)
    return scores
