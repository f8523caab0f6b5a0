"""The model gate's deepchecks suite: train-test performance gap and gain over a simple model."""

from __future__ import annotations

from ..config import Params


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
