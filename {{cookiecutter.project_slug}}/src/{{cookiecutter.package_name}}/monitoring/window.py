"""A window of the prediction log: what the service (and batch scoring) logged, newest last.

The log is the service's (serving/prediction_log.py): Parquet part files beside the configured
path (`predictions-<time>-<pid>-<n>.parquet`), or one JSON-lines file. A window is the rows of
the last `monitoring.window` (by the time each was logged), or the newest N rows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import PipelineError

INPUT, OUTPUT = "inputs.", "output."


@dataclass(frozen=True)
class Window:
    rows: pd.DataFrame  # at, model_version, request_id, row, inputs.<feature>, output.<key>
    files: int
    since: str | None  # the cut-off time, when the window is by time

    @property
    def features(self) -> pd.DataFrame:
        return features_of(self.rows)

    @property
    def predictions(self) -> pd.Series:
        return self.rows[f"{OUTPUT}prediction"]

    def versions(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.rows["model_version"].value_counts().items()}


def features_of(rows: pd.DataFrame) -> pd.DataFrame:
    """The logged inputs, named as the model's features."""
    inputs = [c for c in rows.columns if c.startswith(INPUT)]
    return rows[inputs].rename(columns=lambda c: c.removeprefix(INPUT))


def log_files(path: Path) -> list[Path]:
    """The log's files: a Parquet log's parts (never a half-written one), or the JSON-lines file."""
    if path.suffix == ".parquet":
        return sorted(path.parent.glob(f"{path.stem}-*.parquet"))
    return [path] if path.is_file() else []


def _read_jsonl(path: Path) -> pd.DataFrame:
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:  # a line cut by a crash: name it, skip nothing else
                raise PipelineError(f"{path}:{number}: not a JSON record ({exc.msg})") from exc
    return pd.json_normalize(records) if records else pd.DataFrame()


def _read_parquet(files: list[Path], since: str | None) -> pd.DataFrame:
    filters = [("at", ">=", since)] if since else None
    parts = []
    for file in files:
        try:
            parts.append(pd.read_parquet(file, filters=filters))
        except Exception as exc:  # a damaged part: say which, rather than monitor without it
            raise PipelineError(f"{file}: cannot be read as a prediction log part: {exc}") from exc
    parts = [part for part in parts if len(part)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def read_window(
    path: Path, window: dt.timedelta | None, last: int | None, now: dt.datetime | None = None
) -> Window:
    """The log's rows within `window` of `now` (or its newest `last` rows), oldest first."""
    files = log_files(path)
    if not files:
        raise PipelineError(
            f"no prediction log at {path}: serve the model (make serve) or score a file first, "
            "or point PREDICTION_LOG at the log"
        )
    since = None
    if last is None and window is not None:
        cutoff = (now or dt.datetime.now(dt.UTC)) - window
        since = cutoff.isoformat(timespec="milliseconds")
    if path.suffix == ".parquet":
        rows = _read_parquet(files, since)
    else:
        rows = _read_jsonl(path)
        if since and len(rows):
            rows = rows[rows["at"] >= since]
    if len(rows):
        answers = {f"{OUTPUT}prediction", f"{OUTPUT}refused"}  # one at least: all refused?
        missing = {"at", "model_version"} - set(rows.columns) | (
            answers if not answers & set(rows.columns) else set()
        )
        if missing:
            raise PipelineError(f"{path}: not a prediction log (no {', '.join(sorted(missing))})")
        rows = rows.sort_values("at", kind="stable", ignore_index=True)
        if last is not None:
            rows = rows.tail(last).reset_index(drop=True)
    return Window(rows, len(files), since)
