"""The validate_data stage: the data gate, before any training.

The data contract (columns, types, categories, label classes; values the service accepts),
near-duplicates (within the data, and test rows with a twin in train) and deepchecks' data
integrity suite on the raw data, then its train-test suite on the split (drift, leakage
between the sets, new categories). Any condition not met stops the pipeline here, naming the
check, so bad data never reaches training, let alone the registry. Thresholds: params.yaml.
"""

from __future__ import annotations

import pandas as pd

from ..config import Params
from ..gates import near_duplicates
from ..gates.contract import contract_outcomes, settle_first_contract
from ..gates.data_suites import data_integrity_suite, train_test_suite
from ..gates.report import MODEL_SUITES, GateReport, not_run, write_report
from ..gates.runner import deepchecks_dataset, quiet_deepchecks, run_suite
from ..layout import Layout, require
from ..schema import categorical_columns, infer_schema


def run(params: Params, layout: Layout) -> GateReport:
    quiet_deepchecks()
    raw = pd.read_parquet(require(layout.raw_data, "extract"))
    train = pd.read_parquet(require(layout.train_data, "prepare"))
    test = pd.read_parquet(require(layout.test_data, "prepare"))
    features = raw.drop(columns=[params.data.target])
    categorical = categorical_columns(infer_schema(features), params.data.categorical)

    (layout.deepchecks / "model_evaluation.html").unlink(missing_ok=True)  # not this run's
    checks, first_contract = contract_outcomes(params, layout, raw)
    report = GateReport(checks=checks)
    tolerance = params.validation.near_duplicate_tolerance
    cells = near_duplicates.scales(raw, tolerance)  # the split's rows are the raw rows
    report.checks += [
        near_duplicates.within(raw, cells, tolerance,
                               params.validation.data_integrity.max_duplicate_ratio),
        near_duplicates.across(train, test, cells, tolerance,
                               params.validation.train_test.max_train_test_mix_ratio),
    ]  # fmt: skip
    data = {name: deepchecks_dataset(frame, params, categorical) for name, frame in
            {"raw": raw, "train": train, "test": test}.items()}  # fmt: skip
    run_suite(layout, "data_integrity", data_integrity_suite(params), report,
              train_dataset=data["raw"])  # fmt: skip
    run_suite(layout, "train_test_validation", train_test_suite(params), report,
              train_dataset=data["train"], test_dataset=data["test"])  # fmt: skip
    if first_contract is not None:
        report.checks.insert(
            1, settle_first_contract(params, layout, first_contract, report.passed)
        )
    reason = "the data gate failed" if not report.passed else "waiting for the model gate"
    report.checks.extend(not_run(suite, reason) for suite in MODEL_SUITES)
    write_report(layout, report)
    return report
