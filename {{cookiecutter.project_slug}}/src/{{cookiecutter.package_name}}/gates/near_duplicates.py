"""Near-duplicates: rows that are copies of one another up to a tiny jitter.

deepchecks' Data Duplicates and Train Test Samples Mix match exact values only, so copies
with noise added (1e-9 here, a rounding there) pass them, and twins of test rows in train
inflate the test score. These checks match rows on every column: numbers on a grid of
`validation.near_duplicate_tolerance` standard deviations (two grids, offset by half a cell,
so a pair split by a cell boundary in one meets in the other), text trimmed and lower-cased.
They run on every row, not a sample: hashing a million rows takes about a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .report import CheckOutcome, outcome

SUITE = "Near Duplicates"
GRID_OFFSETS = (0.0, 0.5)
SHOWN = 3


def scales(frame: pd.DataFrame, tolerance: float) -> dict[str, float]:
    """Each numeric column's grid cell: `tolerance` standard deviations (0: exact values)."""
    found = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = column.to_numpy(dtype="float64", na_value=np.nan)
            finite = values[np.isfinite(values)]
            spread = float(finite.std()) if len(finite) > 1 else 0.0
            found[str(name)] = tolerance * spread if np.isfinite(spread) else 0.0
    return found


def keys(frame: pd.DataFrame, cells: dict[str, float], offset: float) -> np.ndarray:
    """One hash per row: numbers as grid cells, text normalised, everything else as it is."""
    parts = {}
    for name in frame.columns:
        column = frame[name]
        cell = cells.get(str(name))
        if cell is not None:
            values = column.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(over="ignore", invalid="ignore"):
                parts[name] = np.floor(values / cell + offset) if cell > 0 else values
        elif column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            parts[name] = column.astype("string").str.strip().str.lower()
        else:
            parts[name] = column
    return pd.util.hash_pandas_object(pd.DataFrame(parts), index=False).to_numpy()


def within(
    frame: pd.DataFrame, cells: dict[str, float], tolerance: float, max_ratio: float
) -> CheckOutcome:
    """The share of rows that nearly repeat an earlier row (`cells`: from `scales`)."""
    repeated = np.zeros(len(frame), dtype=bool)
    for offset in GRID_OFFSETS:
        repeated |= pd.Series(keys(frame, cells, offset)).duplicated().to_numpy()
    ratio = float(repeated.mean()) if len(frame) else 0.0
    condition = f"near-duplicate rows ratio is at most {max_ratio:g}"
    examples = ", ".join(str(index) for index in frame.index[repeated][:SHOWN])
    problem = (
        f"{int(repeated.sum())} of {len(frame)} rows ({ratio:.1%}) repeat another row within "
        f"{tolerance:g} standard deviations in every number (e.g. rows {examples}): "
        "remove the copies at the source, or raise data_integrity.max_duplicate_ratio"
        if ratio > max_ratio
        else None
    )
    return outcome(SUITE, "Near Duplicates", condition, problem, f"ratio {ratio:.4f}")


def across(
    train: pd.DataFrame,
    test: pd.DataFrame,
    cells: dict[str, float],
    tolerance: float,
    max_ratio: float,
) -> CheckOutcome:
    """The share of test rows with a near-twin in train: a leak that inflates the test score."""
    twinned = np.zeros(len(test), dtype=bool)
    for offset in GRID_OFFSETS:
        twinned |= np.isin(keys(test, cells, offset), keys(train, cells, offset))
    ratio = float(twinned.mean()) if len(test) else 0.0
    condition = f"test rows with a near-twin in train are at most {max_ratio:g} of the test set"
    problem = (
        f"{int(twinned.sum())} of {len(test)} test rows ({ratio:.1%}) have a twin in train "
        f"within {tolerance:g} standard deviations in every number: the test score would "
        "be inflated; remove the copies at the source, or raise "
        "train_test.max_train_test_mix_ratio"
        if ratio > max_ratio
        else None
    )
    return outcome(SUITE, "Near Train-Test Mix", condition, problem, f"ratio {ratio:.4f}")
