"""The data gate's deepchecks suites, their conditions set from params.yaml.

Data integrity runs on the raw data; train-test validation on the split (drift, leakage
between the sets); reference drift on the raw data against the champion's training reference
(gates/reference.py), which sees a change that hits both splits alike. Both see a sample: conflicting labels and new categories or labels, which
one row can fail, are counted on every row instead (gates/every_row.py).
"""

from __future__ import annotations

from typing import Any

from ..config import Params
from . import reference


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
        checks.append(
            dc.ClassImbalance().add_condition(
                f"Least/most frequent class ratio is at least {gate.min_class_ratio}",
                _min_class_ratio(gate.min_class_ratio),
            )
        )
    return Suite("Data Integrity", *checks)


def train_test_suite(params: Params):
    from deepchecks.tabular import Suite
    from deepchecks.tabular import checks as dc

    gate = params.validation.train_test
    checks = [
        dc.DatasetsSizeComparison().add_condition_test_train_size_ratio_greater_than(0.01),
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
    return Suite("Train Test Validation", *checks)


def reference_suite(params: Params):
    from deepchecks.tabular import Suite
    from deepchecks.tabular import checks as dc

    gate = params.validation.reference
    checks = [
        dc.FeatureDrift().add_condition_drift_score_less_than(
            max_allowed_categorical_score=gate.max_feature_drift,
            max_allowed_numeric_score=gate.max_feature_drift,
            allowed_num_features_exceeding_threshold=gate.max_drifted_features,
        ),
        dc.LabelDrift().add_condition_drift_score_less_than(gate.max_label_drift),
    ]
    return Suite(reference.SUITE, *checks)
