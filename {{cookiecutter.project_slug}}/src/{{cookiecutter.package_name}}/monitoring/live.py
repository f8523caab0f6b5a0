"""Live metrics: ground truth that arrives after the predictions (a labels file), joined with
the logged rows on (request_id, row), scored as `evaluate` scores the test split, and set
against the serving version's own test metrics: a model that is right less often than it was
tested to be has decayed, whether or not its inputs drifted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Params
from ..errors import PipelineError
from ..gates.report import CheckOutcome, outcome
from ..metrics import score
from .window import features_of

KEY = ["request_id", "row"]
SUITE, CHECK = "Monitoring", "Live Metrics"


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise PipelineError(f"--labels {path}: no such file")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={"request_id": str}, float_precision="round_trip")
    except Exception as exc:
        raise PipelineError(
            f"--labels {path}: cannot be read as CSV or Parquet: {str(exc).splitlines()[0]}"
        ) from exc


def read_labels(path: Path, target: str, kind: Any) -> pd.DataFrame:
    """The labels file's (request_id, row, target); `row` is 0 when absent (one-row requests).
    Rows without a label are left out; a repeated key or a label of the wrong type is refused."""
    frame = _read(path)
    missing = [name for name in ("request_id", target) if name not in frame.columns]
    if missing:
        raise PipelineError(
            f"--labels {path}: needs the columns request_id and {target!r} (and row, the "
            f"row's place in a request of several); missing: {', '.join(missing)}"
        )
    frame = frame[frame[target].notna() & frame["request_id"].notna()]
    row = pd.to_numeric(frame["row"], errors="coerce") if "row" in frame else 0 * frame.index
    bad = (pd.isna(row) | (row < 0) | (row % 1 != 0)) if len(frame) else pd.Series(dtype=bool)
    if bad.any():
        raise PipelineError(f"--labels {path}: row must be a whole number >= 0 ({bad.sum():,} not)")
    try:
        label = frame[target].astype(kind)
    except (TypeError, ValueError) as exc:
        raise PipelineError(
            f"--labels {path}: {target!r} is not of the training label's type {kind}: {exc}"
        ) from exc
    labels = pd.DataFrame(
        {"request_id": frame["request_id"].astype(str).to_numpy(),
         "row": pd.Series(row).astype("int64").to_numpy(), target: label.to_numpy()}
    )  # fmt: skip
    repeated = labels.duplicated(KEY)
    if repeated.any():
        first = labels[repeated].iloc[0]
        raise PipelineError(
            f"--labels {path}: {repeated.sum():,} rows repeat a (request_id, row), the first "
            f"({first['request_id']}, {first['row']})"
        )
    return labels


def compare(
    params: Params,
    model: Any,
    scored: pd.DataFrame,
    labels: pd.DataFrame,
    columns: list[str],
    tested: dict[str, float],
) -> tuple[dict[str, Any], CheckOutcome]:
    """The live metrics and the decay check; `tested`: the version's logged test metrics."""
    gate, target = params.monitoring, params.data.target
    champion = params.validation.model.champion
    metric = champion.metric_for(params.task)
    condition = f"{metric} at most {gate.max_metric_drop:g} worse than on the test split"
    if "request_id" in scored.columns:
        keyed = scored.assign(request_id=scored["request_id"].astype(object))
        joined = keyed.merge(labels, on=KEY, how="inner")
    else:
        joined = scored.iloc[:0]
    found: dict[str, Any] = {"labelled_rows": len(joined), "metric": metric,
                             "test": tested.get(metric)}  # fmt: skip
    if len(joined) < gate.min_labels:
        why = (f"{len(joined):,} logged rows have a label; at least {gate.min_labels:,} "
               "(monitoring.min_labels) give live metrics")  # fmt: skip
        return found, CheckOutcome(SUITE, CHECK, condition, "not run", why)
    frame = features_of(joined)[columns].assign(**{target: joined[target].to_numpy()})
    live = score(params.task, target, model, frame)
    found["live"] = {name: round(value, 4) for name, value in live.items()}
    test = tested.get(metric)
    if test is None or metric not in live:
        why = f"no {metric} to compare: the version's run logged {sorted(tested) or 'none'}"
        return found, CheckOutcome(SUITE, CHECK, condition, "not run", why)
    drop = live[metric] - test if champion.lower_is_better(metric) else test - live[metric]
    found["drop"] = round(drop, 4)
    said = (f"{metric} {live[metric]:.3f} on {len(joined):,} labelled rows, "
            f"{test:.3f} on the test split")  # fmt: skip
    problem = f"{said}: {drop:.3f} worse" if drop > gate.max_metric_drop else None
    return found, outcome(SUITE, CHECK, condition, problem, said)
