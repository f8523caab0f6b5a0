"""Checks for rare events, run on every row: a sample would miss what they look for.

deepchecks sees a sample of `validation.max_rows` rows. That is sound for drift and ratios
(at 20,000 rows a drift score's sampling error is about 0.01 against thresholds of 0.15 and
more), but not where one event is already too many: a pair of rows with the same features and
different labels is in a 20,000-of-1,000,000 sample with a chance of 1 in 2,500, and a new
category in a handful of test rows is missed as easily. These three conditions are deepchecks'
Conflicting Labels, New Category Train-Test and New Label Train-Test, counted the same way on
the whole data with hashes and set differences (about a second at a million rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .report import CheckOutcome, outcome

SUITE = "Every Row"
SHOWN = 3


def _row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One hash per row over `columns`, column by column: no copy of the frame is made."""
    combined = np.zeros(len(frame), dtype=np.uint64)
    for name in columns:
        column = pd.util.hash_pandas_object(frame[name], index=False).to_numpy()
        combined = combined * np.uint64(1_000_003) ^ column  # wraps around: mixing, not a sum
    return combined


def conflicting_labels(frame: pd.DataFrame, target: str, max_ratio: float) -> CheckOutcome:
    """The share of rows whose features equal another row's while the labels differ."""
    features = [str(name) for name in frame.columns if name != target]
    groups = pd.DataFrame({"features": _row_hashes(frame, features), "label": frame[target]})
    labels = groups.groupby("features", sort=False)["label"].transform("nunique")
    ambiguous = (labels > 1).to_numpy()
    ratio = float(ambiguous.mean()) if len(frame) else 0.0
    examples = ", ".join(str(index) for index in frame.index[ambiguous][:SHOWN])
    problem = (
        f"{int(ambiguous.sum())} of {len(frame)} rows ({ratio:.2%}) share every feature with "
        f"a row of another label (e.g. rows {examples}): correct the labels at the source, or "
        "raise data_integrity.max_conflicting_label_ratio"
        if ratio > max_ratio
        else None
    )
    condition = f"ambiguous sample ratio is at most {max_ratio:g}"
    return outcome(SUITE, "Conflicting Labels", condition, problem, f"ratio {ratio:.4f}")


def _unseen(train: pd.Series, test: pd.Series) -> pd.Series:
    """Which test values are not null and never occur in train."""
    return test.notna() & ~test.isin(pd.unique(train.dropna()))


def new_categories(
    train: pd.DataFrame, test: pd.DataFrame, columns: list[str], max_ratio: float
) -> CheckOutcome:
    """Per categorical column, the share of test rows with a category train never had."""
    worst = []
    for name in columns:
        unseen = _unseen(train[name], test[name])
        ratio = float(unseen.mean()) if len(test) else 0.0
        if ratio > max_ratio:
            values = ", ".join(repr(value) for value in test[name][unseen].unique()[:SHOWN])
            worst.append(f"{name}: {ratio:.2%} of test rows ({values})")
    problem = (
        f"categories in test that train never had, {'; '.join(worst)}: give train those "
        "categories (more data, or a stratified split), or raise "
        "train_test.max_new_category_ratio"
        if worst
        else None
    )
    condition = f"ratio of test rows with a new category is at most {max_ratio:g} per column"
    return outcome(SUITE, "New Category Train-Test", condition, problem, f"{len(columns)} columns")


def new_labels(train: pd.DataFrame, test: pd.DataFrame, target: str) -> CheckOutcome:
    """Classes in the test set that train never had: the model cannot predict them."""
    unseen = test[target][_unseen(train[target], test[target])].unique()
    problem = (
        f"{len(unseen)} label(s) only in test ({', '.join(map(repr, unseen[:SHOWN]))}): "
        "give train every class (more data, or a stratified split)"
        if len(unseen)
        else None
    )
    return outcome(SUITE, "New Label Train-Test", "no new labels in test", problem, "none")
