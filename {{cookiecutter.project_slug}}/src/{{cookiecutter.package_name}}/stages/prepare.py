"""The prepare stage: a deterministic train/test split (the seed lives in params.yaml)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from ..config import Params
from ..errors import PipelineError
from ..layout import Layout, atomic_output, require

MIN_ROWS = 20


def split(frame: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    target = params.data.target
    # dropna and reset_index copy every column: only when they change something
    labelled = frame.dropna(subset=[target]) if frame[target].isna().any() else frame
    if len(labelled) < MIN_ROWS:
        raise PipelineError(
            f"prepare: only {len(labelled)} rows have a label ({target!r}); need at least {MIN_ROWS}"
        )
    stratify = None
    if params.task == "classification" and params.split.stratify:
        counts = labelled[target].value_counts()
        if counts.min() < 2:
            raise PipelineError(
                f"prepare: class {counts.idxmin()!r} has a single row; stratified split needs 2+ "
                "(add data or set split.stratify: false)"
            )
        stratify = labelled[target]
    try:
        train, test = train_test_split(
            labelled,
            test_size=params.split.test_size,
            random_state=params.split.seed,
            stratify=stratify,
        )
    except ValueError as exc:
        raise PipelineError(f"prepare: cannot split with split.test_size: {exc}") from exc
    for part in (train, test):  # the split's own copies, renumbered in place
        part.index = pd.RangeIndex(len(part))
    return train, test


def run(params: Params, layout: Layout) -> dict[str, Any]:
    train, test = split(pd.read_parquet(require(layout.raw_data, "extract")), params)
    for frame, path in ((train, layout.train_data), (test, layout.test_data)):
        with atomic_output(path) as scratch:
            frame.to_parquet(scratch, index=False)
    return {"train_rows": len(train), "test_rows": len(test), "seed": params.split.seed}
