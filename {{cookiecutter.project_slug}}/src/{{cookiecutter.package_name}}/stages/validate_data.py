"""The validate_data stage: the data gate, before any training.

The data contract (columns, types, categories, label classes; values the service accepts),
near-duplicates (within the data, and test rows with a twin in train), conflicting labels and
deepchecks' data integrity suite on the raw data, its drift from the training reference of the
champion model (when there is one: the first model's data is checked within itself), then new
categories and labels and its
train-test suite on the split (drift, leakage between the sets). Every row is checked where a
single bad row matters; deepchecks' statistics run on a sample (`validation.max_rows`), and the
report says which. Any condition not met stops the pipeline here, naming the check, so bad data
never reaches training, let alone the registry. Thresholds: params.yaml.
"""

from __future__ import annotations

import pandas as pd

from ..config import Params
from ..gates import every_row, near_duplicates, reference
from ..gates.contract import contract_outcomes, settle_first_contract
from ..gates.data_suites import data_integrity_suite, reference_suite, train_test_suite
from ..gates.report import MODEL_SUITES, GateReport, not_run, write_report
from ..gates.runner import deepchecks_dataset, quiet_deepchecks, run_suite, sample_note
from ..layout import Layout, require
from ..schema import categorical_columns, infer_schema


def run(params: Params, layout: Layout) -> GateReport:
    quiet_deepchecks()
    validation, target = params.validation, params.data.target
    classification = params.task == "classification"
    raw = pd.read_parquet(require(layout.raw_data, "extract"))
    split = require(layout.train_data, "prepare"), require(layout.test_data, "prepare")
    # dtypes only: dropping the label from the whole frame would copy every column
    schema = infer_schema(raw.head(0).drop(columns=[target]))
    categorical = categorical_columns(schema, params.data.categorical)

    for stale in ("model_evaluation", reference.REPORT_KEY):  # not this run's, until rerun
        (layout.deepchecks / f"{stale}.html").unlink(missing_ok=True)
    checks, first_contract = contract_outcomes(params, layout, raw)
    report = GateReport(checks=checks)
    cells = near_duplicates.scales(raw, validation.near_duplicate_tolerance)  # the split's too
    report.checks.append(near_duplicates.within(
        raw, cells, validation.near_duplicate_tolerance,
        validation.data_integrity.max_duplicate_ratio,
    ))  # fmt: skip
    if classification:
        report.checks.append(every_row.conflicting_labels(
            raw, target, validation.data_integrity.max_conflicting_label_ratio
        ))  # fmt: skip
    report.samples["data_integrity"] = sample_note(len(raw), params)
    run_suite(layout, "data_integrity", data_integrity_suite(params), report,
              train_dataset=deepchecks_dataset(raw, params, categorical))  # fmt: skip
    against_reference(params, layout, raw, categorical, report)
    del raw  # the split's checks need only the split: one copy of the data in memory at a time
    train, test = (pd.read_parquet(path) for path in split)
    report.checks.append(near_duplicates.across(
        train, test, cells, validation.near_duplicate_tolerance,
        validation.train_test.max_train_test_mix_ratio,
    ))  # fmt: skip
    report.checks.append(every_row.new_categories(
        train, test, categorical, validation.train_test.max_new_category_ratio
    ))  # fmt: skip
    if classification:
        report.checks.append(every_row.new_labels(train, test, target))
    report.samples["train_test_validation"] = (
        f"train: {sample_note(len(train), params)}; test: {sample_note(len(test), params)}"
    )
    run_suite(layout, "train_test_validation", train_test_suite(params), report,
              train_dataset=deepchecks_dataset(train, params, categorical),
              test_dataset=deepchecks_dataset(test, params, categorical))  # fmt: skip
    if first_contract is not None:
        report.checks.insert(
            1, settle_first_contract(params, layout, first_contract, report.passed)
        )
    reason = "the data gate failed" if not report.passed else "waiting for the model gate"
    report.checks.extend(not_run(suite, reason) for suite in MODEL_SUITES)
    write_report(layout, report)
    return report


def against_reference(
    params: Params, layout: Layout, raw: pd.DataFrame, categorical: list[str], report: GateReport
) -> None:
    """Drift of the new snapshot from the champion's training reference, when there is one."""
    found = reference.champion_reference(params, layout.root)
    if not isinstance(found, reference.Reference):
        report.checks.append(found)
        return
    shared = reference.comparable(found, raw, params.data.target)
    if not isinstance(shared, list):
        report.checks.append(shared)
        return
    kept = [name for name in categorical if name in shared]
    new = raw if len(shared) == raw.shape[1] else raw[shared]  # a copy only when columns differ
    report.samples[reference.REPORT_KEY] = (
        f"reference: {found.note}; new: {sample_note(len(raw), params)}"
    )
    run_suite(layout, reference.REPORT_KEY, reference_suite(params), report,
              train_dataset=deepchecks_dataset(found.frame[shared], params, kept),
              test_dataset=deepchecks_dataset(new, params, kept))  # fmt: skip
