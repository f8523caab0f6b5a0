"""The validate_model stage: the model gate, after evaluation.

deepchecks' model evaluation suite (train-test performance gap, gain over a simple model),
absolute floors on the evaluation metrics, and the challenger against the production model on
the same test data (gates/champion.py); thresholds from params.yaml. It runs only after the data
gate passed, and completes the gate report that `register` obeys.
"""

from __future__ import annotations

import joblib
import pandas as pd

from ..config import Params
from ..errors import PipelineError
from ..gates.champion import compare
from ..gates.floors import metric_floor
from ..gates.model_suites import model_evaluation_suite
from ..gates.report import MODEL_SUITES, GateReport, read_report, write_report
from ..gates.runner import deepchecks_dataset, quiet_deepchecks, run_suite
from ..layout import Layout, read_json, require


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
