"""The every-row checks count what deepchecks' conditions count, on all rows: one event fails."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.gates.every_row import (
    conflicting_labels,
    new_categories,
    new_labels,
)


def _frame(rows: int = 5_000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "x": rng.normal(size=rows), "n": rng.integers(0, 10**9, rows),
        "text": rng.choice(["a", "b", "c"], rows), "label": rng.integers(0, 2, rows),
    })  # fmt: skip


@pytest.mark.parametrize("twin", ["exact", "with a missing value", "text only differs in case"])
def test_one_conflicting_pair_among_thousands_fails(twin: str) -> None:
    frame = _frame()
    frame.loc[1, ["x", "n", "text"]] = frame.loc[0, ["x", "n", "text"]].to_numpy()
    frame.loc[1, "label"] = 1 - frame.loc[0, "label"]
    if twin == "with a missing value":
        frame.loc[[0, 1], "x"] = np.nan  # equal features include equal gaps, as in deepchecks
    outcome = conflicting_labels(frame, "label", 0.0)
    if twin == "text only differs in case":
        frame.loc[1, "text"] = frame.loc[0, "text"].upper()
        assert conflicting_labels(frame, "label", 0.0).status == "passed"  # not the same value
    assert outcome.status == "failed" and "2 of 5000 rows" in outcome.details
    assert "rows 0, 1" in outcome.details and "max_conflicting_label_ratio" in outcome.details
    assert conflicting_labels(frame.loc[2:], "label", 0.0).status == "passed"
    assert conflicting_labels(frame, "label", 0.001).status == "passed"  # 0.0004 allowed


def test_same_features_same_label_is_not_a_conflict() -> None:
    frame = _frame()
    frame.loc[1] = frame.loc[0]
    assert conflicting_labels(frame, "label", 0.0).status == "passed"


def test_a_category_only_in_test_fails_and_is_named() -> None:
    train, test = _frame(), _frame(100)
    assert new_categories(train, test, ["text"], 0.0).status == "passed"
    test.loc[7, "text"] = "d"
    test.loc[8, "text"] = None  # a gap is not a category
    outcome = new_categories(train, test, ["text"], 0.0)
    assert outcome.status == "failed" and "text: 1.00% of test rows ('d')" in outcome.details
    assert new_categories(train, test, ["text"], 0.01).status == "passed"


def test_a_label_only_in_test_fails() -> None:
    train, test = _frame(), _frame(100)
    assert new_labels(train, test, "label").status == "passed"
    test.loc[3, "label"] = 7
    outcome = new_labels(train, test, "label")
    assert outcome.status == "failed" and "(7)" in outcome.details
