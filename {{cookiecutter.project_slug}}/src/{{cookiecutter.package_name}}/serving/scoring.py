"""Scoring rows for an answer: JSON-safe values, and one bad row never spoiling the others."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .responses import Scores, not_finite
from .scorers import Routed


def score(scorer: Routed, frame: pd.DataFrame) -> Scores:
    """The scorer's answers; a prediction that is not a finite number becomes a row error."""
    predicted, probabilities = scorer(frame)
    scores = Scores(predicted.tolist(), None if probabilities is None else probabilities.tolist())
    # JSON has no NaN or infinity: such a prediction is an error
    bad: list[int] = []  # ints, booleans and text are always fine
    if predicted.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(predicted)).tolist()
    elif predicted.dtype.kind == "O":
        bad = [i for i, value in enumerate(scores.predictions) if not_finite(value)]
    for index in bad:
        scores.predictions[index] = None
        scores.errors[index] = "the prediction is not a finite number"
    return scores


def score_rows(scorer: Routed, frame: pd.DataFrame) -> Scores:
    """Score the rows together; if that fails, halve and retry, so one bad row spoils no
    other and a large batch with one bad row costs a few calls, not one per row."""
    try:
        return score(scorer, frame)
    except (ValueError, OverflowError, TypeError) as error:
        if len(frame) > 1:
            middle = len(frame) // 2
            return score_rows(scorer, frame.iloc[:middle]) + score_rows(scorer, frame.iloc[middle:])
        reason = str(error).splitlines()[0][:200]
        return Scores([None], None, {0: f"the model cannot score this row: {reason}"})
