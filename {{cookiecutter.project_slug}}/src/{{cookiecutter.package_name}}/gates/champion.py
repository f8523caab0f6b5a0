"""Challenger against champion: the new model may replace production only if it is not worse.

The champion is `models:/<name>@production` (the alias the release workflow moves), scored on
this run's test data, so both models face the same rows. The first model ever has no champion:
it passes on the metric floors alone, and the report says so.
"""

from __future__ import annotations

import pandas as pd

from ..config import Params
from ..layout import Layout, write_json
from ..metrics import score
from ..tracking import failure_reason, mlflow_module, shown_tracking_uri, version_by_alias
from .report import CheckOutcome

SUITE = "Champion"


def compare(
    params: Params, layout: Layout, test: pd.DataFrame, scores: dict[str, float]
) -> CheckOutcome:
    """One outcome: passed, failed (worse beyond the tolerance, or unscorable), or not run."""
    gate = params.validation.model.champion
    metric = gate.metric_for(params.task)
    condition = f"{metric} no worse than @{gate.alias} by more than {gate.tolerance}"
    try:
        version = version_by_alias(params, layout.root, gate.alias)
    except Exception as exc:  # an unreachable tracking server must not wave a model through
        reason = failure_reason(exc, shown_tracking_uri(params, layout.root))
        return CheckOutcome(SUITE, metric, condition, "failed", f"champion unreachable: {reason}")
    if version is None:
        write_json(layout.champion, {"champion": None, "challenger": scores})
        return CheckOutcome(
            SUITE, metric, condition, "not run",
            f"no @{gate.alias} model yet: the first model passes on the metric floors alone",
        )  # fmt: skip
    try:
        model = mlflow_module(params, layout.root).sklearn.load_model(
            f"models:/{version.name}/{version.version}"
        )
    except Exception as exc:  # registered, but its files are gone: nothing can vouch for it
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        return CheckOutcome(
            SUITE, metric, condition, "failed",
            f"the artifacts of version {version.version} (@{gate.alias}) cannot be loaded from "
            f"the tracking store ({reason}): were its artifacts (mlruns/, or the server's "
            "artifact store) moved or deleted? restore them, or point MLFLOW_TRACKING_URI at "
            "the store that holds them",
        )  # fmt: skip
    try:
        theirs = score(params.task, params.data.target, model, test)
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
