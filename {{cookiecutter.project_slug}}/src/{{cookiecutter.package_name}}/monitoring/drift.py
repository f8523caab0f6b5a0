"""Drift of a window of served traffic from the model's training reference (deepchecks).

Feature drift per column and prediction drift: the reference's predictions are the model's own
on its reference sample, so a change in what the model answers shows even before labels come.
Both sides are sampled to `validation.max_rows` rows, as in the data gate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..config import Params
from ..gates.report import GateReport
from ..gates.runner import run_suite, sample
from ..layout import Layout

SUITE = "Monitoring"
REPORT_KEY = "monitoring"


def monitoring_suite(params: Params) -> Any:
    from deepchecks.tabular import Suite
    from deepchecks.tabular import checks as dc

    gate = params.monitoring
    return Suite(
        SUITE,
        dc.FeatureDrift().add_condition_drift_score_less_than(
            max_allowed_categorical_score=gate.max_feature_drift,
            max_allowed_numeric_score=gate.max_feature_drift,
            allowed_num_features_exceeding_threshold=gate.max_drifted_features,
        ),
        dc.PredictionDrift().add_condition_drift_score_less_than(gate.max_prediction_drift),
    )


def _dataset(frame: pd.DataFrame, categorical: list[str], offset: int = 0) -> Any:
    from deepchecks.tabular import Dataset

    flags = frame.select_dtypes(include="bool").columns  # drift checks subtract values
    frame = frame.astype(dict.fromkeys(flags, "int8")).set_axis(range(offset, offset + len(frame)))
    return Dataset(frame, cat_features=categorical)


def compare(
    params: Params,
    layout: Layout,
    model: Any,
    reference: pd.DataFrame,
    served: pd.DataFrame,
    predictions: pd.Series,
    categorical: list[str],
    report: GateReport,
) -> dict[str, Any]:
    """Run the suite (outcomes into `report`); returns the drift scores behind its conditions."""
    limit, seed = params.validation.max_rows, params.split.seed
    reference = sample(reference, limit, seed)
    served = sample(served.assign(__prediction=predictions.to_numpy()), limit, seed)
    answered = served.pop("__prediction").to_numpy()
    expected = np.asarray(model.predict(reference))
    inputs: dict[str, Any] = {"y_pred_train": expected, "y_pred_test": answered}
    if params.task == "classification":
        classes = list(model.classes_)
        inputs["model_classes"] = classes
        kind = np.asarray(classes).dtype
        inputs["y_pred_test"] = answered.astype(kind) if kind.kind in "iufb" else answered
    else:  # a log part holding refusals too stores the predictions as objects
        inputs["y_pred_test"] = answered.astype("float64")
    result = run_suite(
        layout,
        REPORT_KEY,
        monitoring_suite(params),
        report,
        train_dataset=_dataset(reference, categorical),
        test_dataset=_dataset(served, categorical, offset=len(reference)),
        **inputs,
    )
    scores: dict[str, Any] = {"features": {}, "prediction": None}
    for item in result.results:
        value = getattr(item, "value", None)
        if not isinstance(value, dict):
            continue
        if item.get_header() == "Feature Drift":
            scores["features"] = {
                str(column): round(float(entry["Drift score"]), 4)
                for column, entry in value.items()
                if isinstance(entry, dict) and entry.get("Drift score") is not None
            }
        elif item.get_header() == "Prediction Drift" and "Drift score" in value:
            scores["prediction"] = round(float(value["Drift score"]), 4)
    return scores
