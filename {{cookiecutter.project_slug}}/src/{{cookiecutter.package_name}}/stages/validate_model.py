"""Stage 7, validate_model: the model gate, after evaluation.

deepchecks' model evaluation suite (train-test performance gap, gain over a simple model),
absolute floors on the evaluation metrics, and the challenger against the production model on
the same test data (champion.py); thresholds from params.yaml. It runs only after the data
gate passed, and completes the gate report that `register` obeys.
"""

from __future__ import annotations

import joblib
import pandas as pd

from ..champion import compare
from ..config import Params
from ..errors import PipelineError
from ..gates import (
    CheckOutcome,
    GateReport,
    Status,
    deepchecks_dataset,
    quiet_deepchecks,
    read_report,
    run_suite,
    write_report,
)
from ..layout import Layout, read_json, require
from .validate_data import MODEL_SUITES


def model_evaluation_suite(params: Params):
    from deepchecks.tabular import Suite
    from deepchecks.tabular import checks as dc

    gate = params.validation.model
    checks = [
        dc.TrainTestPerformance().add_condition_train_test_relative_degradation_less_than(
            gate.max_performance_degradation
        ),
        dc.SimpleModelComparison(strategy="most_frequent").add_condition_gain_greater_than(
            gate.min_gain_over_simple_model, average=True
        ),
    ]
    if params.task == "classification":
        checks.append(dc.ConfusionMatrixReport())  # shown in the report, not a gate
    return Suite("Model Evaluation", *checks)


def metric_floor(params: Params, scores: dict[str, float]) -> list[CheckOutcome]:
    """Absolute bounds on the evaluation metrics: minimums for scores, maximums for errors.

    A bound on a metric that was not computed fails: a floor nobody checks is no floor.
    """
    gate = params.validation.model
    bounds = [(metric, ">=", limit) for metric, limit in gate.minimums.items()]
    bounds += [(metric, "<=", limit) for metric, limit in gate.maximums.items()]
    found = []
    for metric, sign, limit in bounds:
        value = scores.get(metric)
        if value is None:
            status: Status = "failed"
        else:
            status = "passed" if (value >= limit if sign == ">=" else value <= limit) else "failed"
        shown = "missing" if value is None else f"{value:.4f}"
        found.append(CheckOutcome("Model Floor", metric, f"{metric} {sign} {limit}", status, shown))
    return found


def run(params: Params, layout: Layout) -> GateReport:
    quiet_deepchecks()
    previous = read_report(layout)
    data_checks = [check for check in previous.checks if check.suite not in MODEL_SUITES]
    if not data_checks:
        raise PipelineError("no data gate results: run the 'validate_data' stage first")
    if any(check.status == "failed" for check in data_checks):
        raise PipelineError("the data gate failed: fix the data and run 'validate_data' again")
    train = pd.read_parquet(require(layout.train_data, "prepare"))
    test = pd.read_parquet(require(layout.test_data, "prepare"))
    model = joblib.load(require(layout.model, "train"))
    categorical = read_json(layout.feature_schema, "train")["categorical"]
    scores = read_json(layout.metrics, "evaluate")

    report = GateReport(checks=data_checks, reports=previous.reports, complete=True)
    run_suite(layout, "model_evaluation", model_evaluation_suite(params), report,
              train_dataset=deepchecks_dataset(train, params, categorical),
              test_dataset=deepchecks_dataset(test, params, categorical), model=model)  # fmt: skip
    report.checks.extend(metric_floor(params, scores))
    report.checks.append(compare(params, layout, test, scores))
    write_report(layout, report)
    return report
