"""The estimators `model.estimator` may name, per task: one table for the params check and train.

Classes are named by import path, so validating params never imports scikit-learn.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

ESTIMATORS: dict[str, dict[str, str]] = {
    "classification": {
        "random_forest": "sklearn.ensemble:RandomForestClassifier",
        "logistic_regression": "sklearn.linear_model:LogisticRegression",
        "hist_gradient_boosting": "sklearn.ensemble:HistGradientBoostingClassifier",
    },
    "regression": {
        "random_forest": "sklearn.ensemble:RandomForestRegressor",
        "ridge": "sklearn.linear_model:Ridge",
        "hist_gradient_boosting": "sklearn.ensemble:HistGradientBoostingRegressor",
    },
}
SEEDED = frozenset({"random_forest", "logistic_regression", "hist_gradient_boosting"})


def estimator_class(task: str, name: str) -> Any:
    module, _, attribute = ESTIMATORS[task][name].partition(":")
    return getattr(import_module(module), attribute)
