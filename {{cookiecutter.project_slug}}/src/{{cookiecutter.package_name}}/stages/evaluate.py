"""The evaluate stage: task-appropriate metrics of the trained model on the held-out test set."""

from __future__ import annotations

import joblib
import pandas as pd

from ..config import Params
from ..layout import Layout, require, write_json
from ..metrics import score


def run(params: Params, layout: Layout) -> dict[str, float]:
    model = joblib.load(require(layout.model, "train"))
    test = pd.read_parquet(require(layout.test_data, "prepare"))
    scores = score(params.task, params.data.target, model, test)
    write_json(layout.metrics, scores)
    return scores
