"""Stage 6, validate: deepchecks suites as gates, with conditions and thresholds from params.yaml.

Three suites run: data integrity (raw data), train-test validation (the split) and model
evaluation (the trained model), plus a floor on the evaluation metrics. Every condition that is
not met fails the gate; each suite's HTML report and a JSON summary are written either way.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import joblib
import pandas as pd

from ..config import Params
from ..html_assets import share_large_scripts
from ..layout import Layout, read_json, require, write_json

Status = Literal["passed", "failed", "not run"]


@dataclass(frozen=True)
class CheckOutcome:
    suite: str
    check: str
    condition: str
    status: Status
    details: str = ""

    @property
    def name(self) -> str:
        return f"{self.suite} / {self.check}: {self.condition}"


@dataclass
class GateReport:
    checks: list[CheckOutcome] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> list[CheckOutcome]:
        return [check for check in self.checks if check.status == "failed"]

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": [check.name for check in self.failed],
            "checks": [asdict(check) for check in self.checks],
            "reports": self.reports,
        }


def _quiet_deepchecks() -> None:
    """deepchecks prints progress bars and deprecation noise; keep logs readable."""
    os.environ.setdefault("DISABLE_DEEPCHECKS_ANONYMOUS_TELEMETRY", "True")
    warnings.filterwarnings("ignore")
    logging.getLogger("deepchecks").setLevel(logging.ERROR)


def _min_class_ratio(threshold: float):
    from deepchecks.core import ConditionCategory, ConditionResult

    def condition(value: dict[Any, float]) -> ConditionResult:
        shares = list(value.values())
        ratio = min(shares) / max(shares) if shares and max(shares) > 0 else 0.0
        category = ConditionCategory.PASS if ratio >= threshold else ConditionCategory.FAIL
        return ConditionResult(category, f"least/most frequent class ratio is {ratio:.3f}")

    return condition


def data_integrity_suite(params: Params):
    from deepchecks.tabular import Suite
    from deepchecks.tabular import checks as dc

    gate = params.validation.data_integrity
    checks = [
        dc.IsSingleValue().add_condition_not_single_value(),
        dc.PercentOfNulls().add_condition_percent_of_nulls_not_greater_than(gate.max_missing_ratio),
        dc.MixedNulls().add_condition_different_nulls_less_equal_to(1),
        dc.MixedDataTypes().add_condition_rare_type_ratio_not_in_range((0.0, 0.5)),
        dc.DataDuplicates().add_condition_ratio_less_or_equal(gate.max_duplicate_ratio),
        dc.FeatureLabelCorrelation().add_condition_feature_pps_less_than(
            gate.max_feature_label_pps
        ),
        dc.StringMismatch().add_condition_no_variants(),
    ]
    if params.task == "classification":
        checks += [
            dc.ConflictingLabels().add_condition_ratio_of_conflicting_labels_less_or_equal(
                gate.max_conflicting_label_ratio
            ),
            dc.ClassImbalance().add_condition(
                f"Least/most frequent class ratio is at least {gate.min_class_ratio}",
                _min_class_ratio(gate.min_class_ratio),
            ),
        ]
    return Suite("Data Integrity", *checks)


def train_test_suite(params: Params):
    from deepchecks.tabular import Suite
    from deepchecks.tabular import checks as dc

    gate = params.validation.train_test
    checks = [
        dc.DatasetsSizeComparison().add_condition_test_train_size_ratio_greater_than(0.01),
        dc.NewCategoryTrainTest().add_condition_new_category_ratio_less_or_equal(
            gate.max_new_category_ratio
        ),
        dc.TrainTestSamplesMix().add_condition_duplicates_ratio_less_or_equal(
            gate.max_train_test_mix_ratio
        ),
        dc.FeatureDrift().add_condition_drift_score_less_than(
            max_allowed_categorical_score=gate.max_feature_drift,
            max_allowed_numeric_score=gate.max_feature_drift,
            allowed_num_features_exceeding_threshold=gate.max_drifted_features,
        ),
        dc.LabelDrift().add_condition_drift_score_less_than(gate.max_label_drift),
        dc.MultivariateDrift().add_condition_overall_drift_value_less_than(
            gate.max_multivariate_drift
        ),
    ]
    if params.task == "classification":
        checks.append(dc.NewLabelTrainTest().add_condition_new_labels_number_less_or_equal(0))
    return Suite("Train Test Validation", *checks)


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


def outcomes(suite_name: str, result: Any) -> list[CheckOutcome]:
    """Flatten a deepchecks SuiteResult: one outcome per condition.

    Fail closed: a gate that could not be evaluated fails, unless deepchecks says the check does
    not apply to this data (e.g. no categorical features), which is reported as not run.
    """
    from deepchecks.core import CheckFailure, ConditionCategory
    from deepchecks.core.errors import DeepchecksNotSupportedError

    found: list[CheckOutcome] = []
    for item in result.results:
        header = item.get_header()
        if isinstance(item, CheckFailure):
            applies = not isinstance(item.exception, DeepchecksNotSupportedError)
            status: Status = "failed" if applies else "not run"
            reason = f"{type(item.exception).__name__}: {item.exception}"
            found.append(CheckOutcome(suite_name, header, "(check could not run)", status, reason))
            continue
        for condition in item.conditions_results:
            if condition.category == ConditionCategory.ERROR:
                status = "failed"
            else:
                status = "passed" if condition.is_pass() else "failed"
            found.append(
                CheckOutcome(suite_name, header, condition.name, status, condition.details)
            )
    return found


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


def _sample(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    return frame if len(frame) <= max_rows else frame.sample(max_rows, random_state=seed)


def run(params: Params, layout: Layout) -> GateReport:
    _quiet_deepchecks()
    from deepchecks.tabular import Dataset

    raw = pd.read_parquet(require(layout.raw_data, "extract"))
    train = pd.read_parquet(require(layout.train_data, "prepare"))
    test = pd.read_parquet(require(layout.test_data, "prepare"))
    model = joblib.load(require(layout.model, "train"))
    cat = read_json(layout.feature_schema, "train")["categorical"]
    scores = read_json(layout.metrics, "evaluate")

    target, seed, max_rows = params.data.target, params.split.seed, params.validation.max_rows
    label_type = "regression" if params.task == "regression" else None

    def dataset(frame: pd.DataFrame) -> Dataset:
        # deepchecks' drift checks subtract values, which numpy refuses for booleans: use 0/1.
        frame = _sample(frame, max_rows, seed)
        flags = frame.select_dtypes(include="bool").columns
        frame = frame.astype(dict.fromkeys(flags, "int8"))
        return Dataset(frame, label=target, cat_features=cat, label_type=label_type)

    report = GateReport()
    layout.deepchecks.mkdir(parents=True, exist_ok=True)
    runs = {
        "data_integrity": (data_integrity_suite(params), {"train_dataset": dataset(raw)}),
        "train_test_validation": (
            train_test_suite(params),
            {"train_dataset": dataset(train), "test_dataset": dataset(test)},
        ),
        "model_evaluation": (
            model_evaluation_suite(params),
            {"train_dataset": dataset(train), "test_dataset": dataset(test), "model": model},
        ),
    }
    for key, (suite, inputs) in runs.items():
        result = suite.run(**inputs)
        path = layout.deepchecks / f"{key}.html"
        # Plain HTML, not the ipywidgets page: it renders offline and weighs half as much;
        # its plotly bundle is then shared by all three reports instead of inlined in each.
        result.save_as_html(str(path), as_widget=False)
        share_large_scripts(path)
        report.reports[key] = str(path.relative_to(layout.root))
        report.checks.extend(outcomes(suite.name, result))
    report.checks.extend(metric_floor(params, scores))
    write_json(layout.gates, report.to_dict())
    return report
