"""Live metrics: ground truth that arrives after the predictions (a labels file), joined with
the logged rows on (request_id, row), scored as `evaluate` scores the test split, and set
against the serving version's own test metrics: a model that is right less often than it was
tested to be has decayed, whether or not its inputs drifted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
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
        frame = pd.read_csv(path, float_precision="round_trip")
        if "request_id" in frame.columns:  # an id is text as sent: "NA" or "null" is an id too
            ids = pd.read_csv(path, usecols=["request_id"], dtype=str, keep_default_na=False)
            frame["request_id"] = ids["request_id"].replace("", None).to_numpy()
        return frame
    except Exception as exc:
        raise PipelineError(
            f"--labels {path}: cannot be read as CSV or Parquet: {str(exc).splitlines()[0]}"
        ) from exc


def _labels_as(values: pd.Series, kind: Any, classes: Any, where: str) -> pd.Series:
    """`values` as the training label's type, refusing what that would change (1.5 read as
    1), what no score can take (inf) and a class the model never learned."""
    try:
        cast = values.astype(kind)
    except (TypeError, ValueError) as exc:
        raise PipelineError(
            f"{where} is not of the training label's type {kind}: {str(exc).splitlines()[0]}"
        ) from exc
    numeric = pd.api.types.is_numeric_dtype(cast) and not pd.api.types.is_bool_dtype(cast)
    if numeric:
        exact = pd.to_numeric(values, errors="coerce")
        changed = ~(exact == cast) & ~(exact.isna() & cast.isna())
        if changed.any():
            raise PipelineError(
                f"{where}: {changed.sum():,} labels change when read as {kind} (the first: "
                f"{values[changed].iloc[0]!r})"
            )
        infinite = np.isinf(cast.astype("float64"))
        if infinite.any():
            raise PipelineError(f"{where}: {infinite.sum():,} labels are infinite")
    if classes is not None:
        unknown = sorted(set(cast.tolist()) - set(np.asarray(classes).tolist()), key=str)
        if unknown:
            raise PipelineError(
                f"{where}: {len(unknown):,} label value(s) the model never learned, "
                f"{unknown[:5]}; it knows {list(classes)[:10]}"
            )
    return cast


def read_labels(path: Path, target: str, kind: Any, classes: Any = None) -> pd.DataFrame:
    """The labels file's (request_id, row, target); `row` is 0 when absent (one-row requests).
    Rows without a label are left out; a repeated key, or a label the model could not be
    scored on (another type, a lossy cast, inf, an unknown class), is refused."""
    frame = _read(path)
    missing = [name for name in ("request_id", target) if name not in frame.columns]
    if missing:
        raise PipelineError(
            f"--labels {path}: needs the columns request_id and {target!r} (and row, the "
            f"row's place in a request of several); missing: {', '.join(missing)}"
        )
    frame = frame[frame[target].notna() & frame["request_id"].notna()]
    if "row" in frame:
        row = pd.to_numeric(frame["row"], errors="coerce")
    else:
        row = pd.Series(0, index=frame.index)
    bad = pd.isna(row) | (row < 0) | (row % 1 != 0)
    if bad.any():
        raise PipelineError(f"--labels {path}: row must be a whole number >= 0 ({bad.sum():,} not)")
    label = _labels_as(frame[target], kind, classes, f"--labels {path}: {target!r}")
    labels = pd.DataFrame(
        {"request_id": frame["request_id"].astype(str).to_numpy(),
         "row": row.astype("int64").to_numpy(), target: label.to_numpy()}
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
    joined, ambiguous = _join(scored, labels)
    found: dict[str, Any] = {
        "labelled_rows": len(joined),
        "ambiguous_rows": ambiguous,
        "metric": metric,
        "test": tested.get(metric),
    }
    left_out = ""
    if ambiguous:
        left_out = (
            f"; {ambiguous:,} logged rows share their (request_id, row) with another "
            "request's (a reused X-Request-ID) and were left out"
        )
    if len(joined) < gate.min_labels:
        why = (
            f"{len(joined):,} logged rows have a label; at least {gate.min_labels:,} "
            f"(monitoring.min_labels) give live metrics{left_out}"
        )
        return found, CheckOutcome(SUITE, CHECK, condition, "not run", why)
    frame = features_of(joined)[columns].assign(**{target: joined[target].to_numpy()})
    try:
        live = score(params.task, target, model, frame)
    except Exception as exc:  # what the labels could not be checked for up front
        raise PipelineError(
            f"--labels: the {len(joined):,} labelled rows cannot be scored: "
            f"{str(exc).splitlines()[0][:300]}"
        ) from exc
    found["live"] = {name: round(value, 4) for name, value in live.items()}
    test = tested.get(metric)
    if test is None or metric not in live:
        why = f"no {metric} to compare: the version's run logged {sorted(tested) or 'none'}"
        return found, CheckOutcome(SUITE, CHECK, condition, "not run", why)
    drop = live[metric] - test if champion.lower_is_better(metric) else test - live[metric]
    found["drop"] = round(drop, 4)
    said = (
        f"{metric} {live[metric]:.3f} on {len(joined):,} labelled rows, "
        f"{test:.3f} on the test split{left_out}"
    )
    problem = f"{said}: {drop:.3f} worse" if drop > gate.max_metric_drop else None
    return found, outcome(SUITE, CHECK, condition, problem, said)


def _join(scored: pd.DataFrame, labels: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The logged rows with their labels, and how many were left out as ambiguous: a client
    may send one X-Request-ID with several requests, and a label cannot say which it meant."""
    if "request_id" not in scored.columns:
        return scored.iloc[:0], 0
    keyed = scored.assign(request_id=scored["request_id"].astype(object))
    repeated = keyed.duplicated(KEY, keep=False) & keyed["request_id"].notna()
    joined = keyed[~repeated].merge(labels, on=KEY, how="inner")
    ambiguous = keyed[repeated].merge(labels[KEY], on=KEY, how="inner")
    return joined, len(ambiguous)
