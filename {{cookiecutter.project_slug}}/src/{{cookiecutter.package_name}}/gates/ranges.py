"""Value ranges learned into the data contract: what drift statistics on a sample can miss.

The first contract records each numeric column's min and max; later data may hold at most
`validation.reference.max_out_of_range_ratio` of a column's values outside them. A unit change
in part of the rows (centimetres sent as millimetres) moves those rows out of range at once,
however the split shares them out, and the message names the column and an example.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .report import CheckOutcome, outcome

CHECK = "Ranges"
SHOWN = 5


def learn(column: pd.Series) -> dict[str, Any]:
    """{"min", "max"} of a numeric column (not boolean) with values; {} otherwise."""
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        return {}
    values = column.dropna()
    if values.empty:
        return {}
    low, high = values.min(), values.max()
    if pd.api.types.is_integer_dtype(column):
        return {"min": int(low), "max": int(high)}
    return {"min": float(low), "max": float(high)}


def check(
    frame: pd.DataFrame, expected: dict[str, Any], shared: list[str], max_ratio: float, suite: str
) -> CheckOutcome:
    """Failed when any column has more than `max_ratio` of its values outside its range."""
    bounded = [name for name in shared if "min" in expected[name] and "max" in expected[name]]
    numeric = [
        name
        for name in shared
        if expected[name].get("kind") in {"int", "float"} and "categories" not in expected[name]
    ]
    condition = f"at most {max_ratio:.1%} of a column's values outside its agreed range"
    if numeric and not bounded:
        reason = (
            "the contract has no value ranges (written before ranges were learned): delete it "
            "and rerun on trusted data to learn them"
        )
        return CheckOutcome(suite, CHECK, condition, "not run", reason)
    problems = []
    for name in bounded:
        low, high = expected[name]["min"], expected[name]["max"]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
            problems.append(f"{name!r} has a range in the contract that is not two numbers")
            continue
        column = pd.to_numeric(frame[name], errors="coerce")
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        present = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            outside = present & ((values < low) | (values > high))
        count, seen = int(outside.sum()), int(present.sum())
        if seen and count / seen > max_ratio:
            problems.append(
                f"{name!r} has {count:,} of {seen:,} values ({count / seen:.1%}) outside "
                f"[{low:g}, {high:g}] (e.g. {values[outside][0]:g})"
            )
    more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    hint = (
        "; if the source is right, widen min/max in the contract (a reviewed diff) or raise "
        "validation.reference.max_out_of_range_ratio"
    )
    shown = "; ".join(problems[:SHOWN]) + more + hint if problems else None
    return outcome(suite, CHECK, condition, shown, "within the agreed ranges")
