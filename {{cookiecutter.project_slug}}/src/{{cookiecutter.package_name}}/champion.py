"""Challenger against champion: the new model may replace production only if it is not worse.

The champion is `models:/<name>@production` (the alias the release workflow moves), scored on
this run's test data, so both models face the same rows. The first model ever has no champion:
it passes on the metric floors alone, and the report says so.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from .config import Params
from .gates import CheckOutcome
from .layout import Layout, write_json

SUITE = "Champion"


def _champion_version(params: Params, layout: Layout) -> Any | None:
    """The model version the champion alias names, or None when there is none yet."""
    import mlflow
    from mlflow.exceptions import MlflowException

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(params.mlflow.resolved_tracking_uri(layout.root))
    try:
        return mlflow.MlflowClient().get_model_version_by_alias(
            params.registry.model_name, params.validation.model.champion.alias
        )
    except MlflowException as exc:
        if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
            return None
        raise


def compare(
    params: Params, layout: Layout, test: pd.DataFrame, scores: dict[str, float]
) -> CheckOutcome:
    """One outcome: passed, failed (worse beyond the tolerance, or unscorable), or not run."""
    from .stages.evaluate import score

    gate = params.validation.model.champion
    metric = gate.metric_for(params.task)
    condition = f"{metric} no worse than @{gate.alias} by more than {gate.tolerance}"
    try:
        version = _champion_version(params, layout)
    except Exception as exc:  # an unreachable tracking server must not wave a model through
        reason = str(exc).splitlines()[0][:300]
        return CheckOutcome(SUITE, metric, condition, "failed", f"champion unreachable: {reason}")
    if version is None:
        write_json(layout.champion, {"champion": None, "challenger": scores})
        return CheckOutcome(
            SUITE, metric, condition, "not run",
            f"no @{gate.alias} model yet: the first model passes on the metric floors alone",
        )  # fmt: skip
    import mlflow

    try:
        model = mlflow.sklearn.load_model(f"models:/{version.name}/{version.version}")
        theirs = score(params, model, test)
    except Exception as exc:  # a champion that cannot score this data cannot vouch for it
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        return CheckOutcome(
            SUITE, metric, condition, "failed",
            f"version {version.version} cannot score this test data ({reason}); if the schema "
            "changed on purpose, raise the tolerance or promote with care",
        )  # fmt: skip
    ours = scores.get(metric)
    if ours is None or metric not in theirs:
        return CheckOutcome(SUITE, metric, condition, "failed", f"{metric} was not computed")
    change = ours - theirs[metric]
    worse_by = change if gate.lower_is_better(metric) else -change
    write_json(
        layout.champion,
        {"champion": {"version": int(version.version), "alias": gate.alias, "metrics": theirs},
         "challenger": scores, "metric": metric, "change": change},
    )  # fmt: skip
    status = "failed" if worse_by > gate.tolerance else "passed"
    details = (
        f"{metric} {ours:.4f} against {theirs[metric]:.4f} for version {version.version} "
        f"({change:+.4f})"
    )
    return CheckOutcome(SUITE, metric, condition, status, details)
