"""Absolute floors (and ceilings) on the evaluation metrics, from params.yaml."""

from __future__ import annotations

from ..config import Params
from .report import CheckOutcome, Status


def metric_floor(params: Params, scores: dict[str, float]) -> list[CheckOutcome]:
    """Absolute bounds on the evaluation metrics: minimums for scores, maximums for errors.

    A bound on a metric that was not computed fails: a floor nobody checks is no floor.
    """
    gate = params.validation.model
    bounds = [(metric, ">=", limit) for metric, limit in gate.minimums.items()]
    bounds += [(metric, "<=", limit) for metric, limit in gate.maximums.items()]
    found = []
    for metric, sign, limit in bounds:
        value = scores.get(metric)
        if value is None:
            status: Status = "failed"
        else:
            status = "passed" if (value >= limit if sign == ">=" else value <= limit) else "failed"
        shown = "missing" if value is None else f"{value:.4f}"
        found.append(CheckOutcome("Model Floor", metric, f"{metric} {sign} {limit}", status, shown))
    return found
