"""The extract stage: load the configured dataset and record its version.

`sklearn:<name>` loads a sample bundled with scikit-learn (no download); any other source is
a CSV or Parquet path, relative to the project root. The version (sha256, schema, rows, parent)
goes to `data/manifest.json` when the data changed (data_versions.py): commit it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..config import DataConfig, Params
from ..data_versions import record, snapshot
from ..errors import PipelineError
from ..gitinfo import current_commit
from ..layout import Layout, atomic_output, write_json

SAMPLES = {"breast_cancer": "load_breast_cancer", "diabetes": "load_diabetes"}


def _load_sample(name: str) -> pd.DataFrame:
    if name not in SAMPLES:
        raise PipelineError(
            f"data.source: unknown sample 'sklearn:{name}'; choose one of: "
            + ", ".join(f"sklearn:{key}" for key in SAMPLES)
        )
    from sklearn import datasets  # only for the samples: a second and a half of imports

    return getattr(datasets, SAMPLES[name])(as_frame=True).frame


def _load_file(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise PipelineError(f"data.source: file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            # round_trip: each number is the one its text spells; pandas' fast default is off
            # by one unit in the last place for about a third of them, so the same table read
            # from CSV and from Parquet would differ, and a two-valued float column read both
            # ways would look wholly drifted against its reference.
            return pd.read_csv(path, float_precision="round_trip")
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
    except Exception as exc:
        raise PipelineError(f"data.source: cannot read {path}: {exc}") from exc
    raise PipelineError(f"data.source: {path} must end in .csv or .parquet, not {suffix!r}")


def source_file(data: DataConfig, root: Path) -> Path | None:
    """The configured data file, or None for a bundled sample."""
    if data.source.startswith("sklearn:"):
        return None
    path = Path(data.source)
    return path if path.is_absolute() else root / path


def load_source(data: DataConfig, root: Path) -> pd.DataFrame:
    """Load the raw frame and check the columns the config names."""
    file = source_file(data, root)
    sample = data.source.removeprefix("sklearn:")
    frame = _load_sample(sample) if file is None else _load_file(file)
    frame.columns = [str(column) for column in frame.columns]
    if frame.empty:
        raise PipelineError(f"data.source: {data.source} has no rows")
    named = [data.target, *data.categorical, *data.drop]
    missing = [column for column in named if column not in frame.columns]
    if missing:
        raise PipelineError(
            f"data: column(s) {missing} not in {data.source}; "
            f"available: {', '.join(frame.columns[:30])}"
        )
    if frame.columns.duplicated().any():
        raise PipelineError(f"data.source: duplicated column names in {data.source}")
    if data.drop:  # drop copies every column, even when it drops none
        frame = frame.drop(columns=list(data.drop))
    dated = [
        str(c) for c, t in frame.dtypes.items()
        if pd.api.types.is_datetime64_any_dtype(t) or pd.api.types.is_timedelta64_dtype(t)
    ]  # fmt: skip
    if dated:
        raise PipelineError(
            f"data: column(s) {dated} hold dates or durations, which the model cannot use as "
            "they are; derive numeric features from them or list them under data.drop"
        )
    return frame


def check_label(frame: pd.DataFrame, target: str, task: str) -> None:
    """Refuse labels the task cannot learn from, before any stage spends time on them."""
    label = frame[target].dropna()
    if task == "regression" and not pd.api.types.is_numeric_dtype(label):
        raise PipelineError(
            f"data.target: {target!r} holds {label.dtype} values; regression needs numbers "
            "(or set task: classification)"
        )
    if task == "classification" and label.nunique() < 2:
        raise PipelineError(
            f"data.target: {target!r} has a single class ({label.unique()[:1].tolist()}); "
            "classification needs at least two"
        )


def run(params: Params, layout: Layout) -> dict[str, Any]:
    data = params.data
    frame = load_source(data, layout.root)
    check_label(frame, data.target, params.task)
    try:
        with atomic_output(layout.raw_data) as scratch:
            frame.to_parquet(scratch, index=False)
    except (ValueError, TypeError) as exc:  # pyarrow's ArrowInvalid and ArrowTypeError among them
        raise PipelineError(
            f"data: cannot store {data.source}: {exc}; a column mixing kinds of values (text "
            "and numbers, say) must be cleaned or listed under data.drop"
        ) from exc
    current = snapshot(data.source, source_file(data, layout.root), frame, data.target)
    manifest = record(layout.data_manifest, current, current_commit(layout.root))
    meta = {
        **current,
        "columns": len(frame.columns),
        "parent": manifest["parent"],
        "new_version": manifest["changed"],
        "path": str(layout.raw_data.relative_to(layout.root)),
    }
    write_json(layout.raw_meta, meta)
    return meta
