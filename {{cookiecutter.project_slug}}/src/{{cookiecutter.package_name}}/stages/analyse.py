"""The analyse stage: a short profile of the raw data, saved as a report artifact."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..config import Params
from ..layout import Layout, require, write_json


def profile(frame: pd.DataFrame, target: str, task: str) -> dict[str, Any]:
    missing = frame.isna().sum()
    label = frame[target]
    if task == "classification":
        counts = label.value_counts(dropna=False)
        label_summary: dict[str, Any] = {
            "classes": {str(key): int(value) for key, value in counts.items()},
            "minority_share": float(counts.min() / counts.sum()),
        }
    else:
        label_summary = {key: float(value) for key, value in label.describe().items()}
    return {
        "rows": len(frame),
        "columns": len(frame.columns),
        "features": len(frame.columns) - 1,
        "dtypes": {str(column): str(dtype) for column, dtype in frame.dtypes.items()},
        "missing": {str(column): int(count) for column, count in missing.items() if count},
        "missing_share": float(missing.sum() / max(frame.size, 1)),
        "duplicate_rows": int(frame.duplicated().sum()),
        "label": label_summary,
    }


def run(params: Params, layout: Layout) -> dict[str, Any]:
    frame = pd.read_parquet(require(layout.raw_data, "extract"))
    report = profile(frame, params.data.target, params.task)
    write_json(layout.profile, report)
    return report
