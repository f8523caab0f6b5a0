"""The prediction log's records: requests' inputs and outputs as flat rows, JSON lines or columns."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# (at, model_version, inputs, outputs, request ids) of one call to the log
Batch = tuple[str, str, Any, Any, Any]


def rows_in(batches: list[Batch]) -> int:
    return sum(len(batch[2]) for batch in batches)


def request_columns(ids: Any, count: int) -> dict[str, np.ndarray]:
    """Each row's `request_id`, `request` (the request's own key) and `row` (its place in that
    request): labels are joined on (request_id, row), requests are counted by `request`.

    `ids`: one for the batch (the rows of one request) or one per row (requests merged by
    adaptive batching, each one's rows together and in order), each a RequestId (the id a
    client sees and the key minted for the request), a plain id that is its own key, or None
    (not known)."""
    if ids is None or isinstance(ids, str | tuple):
        shown, key = _id_and_key(ids)
        return {"request_id": np.full(count, shown, dtype=object),
                "request": np.full(count, key, dtype=object), "row": np.arange(count)}  # fmt: skip
    pairs = [_id_and_key(one) for one in ids]
    if len(pairs) != count:
        raise ValueError(f"{count} rows but {len(pairs)} request ids")
    shown = np.array([one for one, _ in pairs], dtype=object)
    keys = np.array([key for _, key in pairs], dtype=object)
    index = np.arange(count)
    first = np.r_[True, keys[1:] != keys[:-1]] if count else np.zeros(0, dtype=bool)
    rows = index - np.maximum.accumulate(np.where(first, index, 0))
    return {"request_id": shown, "request": keys, "row": rows}


def _id_and_key(one: Any) -> tuple[str | None, str | None]:
    if one is None or isinstance(one, str):
        return one, one
    return one[0], one[1]  # a RequestId


def _frame(values: Any) -> pd.DataFrame:
    """A batch's inputs or outputs: a frame, columns, rows as dicts, or a function returning
    one of these, built here, on the log's thread, not on the request's."""
    if callable(values):
        values = values()
    if isinstance(values, pd.DataFrame):
        return values
    return pd.DataFrame(values if isinstance(values, Mapping) else list(values))


def _frames(batches: list[Batch]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Many requests' heads (at, model_version, request_id, request, row), inputs and outputs as three
    frames of equal length (pandas writes them fast, in C)."""
    heads, frames, results = [], [], []
    for at, version, inputs, outputs, ids in batches:
        frame, result = _frame(inputs), _frame(outputs)
        if len(result) != len(frame):
            raise ValueError(f"{len(frame)} input rows but {len(result)} outputs")
        head = {"at": at, "model_version": version, **request_columns(ids, len(frame))}
        heads.append(pd.DataFrame(head, index=range(len(frame))))
        frames.append(frame)
        results.append(result)
    return tuple(pd.concat(part, ignore_index=True) for part in (heads, frames, results))  # type: ignore[return-value]


def _json_rows(frame: pd.DataFrame) -> list[str]:
    """Each row as a JSON object whose numbers read back exactly (pandas' writer keeps 15
    digits, which moved a two-valued column's values apart: drift where there is none);
    missing values are null."""
    plain = frame.astype(object).where(frame.notna(), None)
    return [json.dumps(dict(zip(plain.columns, row, strict=True)), default=str)
            for row in plain.itertuples(index=False, name=None)]  # fmt: skip


def as_json_lines(batches: list[Batch]) -> str:
    """One JSON object per row: {"at", "model_version", "request_id", "request", "row", "inputs": {...},
    "output": {...}}."""
    heads, frame, result = _frames(batches)
    prefixes = [head[:-1] for head in _json_rows(heads)]
    rows, answers = _json_rows(frame), _json_rows(result)
    return "".join(
        f'{prefix}, "inputs": {row}, "output": {answer}}}\n'
        for prefix, row, answer in zip(prefixes, rows, answers, strict=True)
    )


def append_json_lines(path: Path, batches: list[Batch]) -> int:
    """Add the batches' rows to the JSON-lines log at `path`; how many were written."""
    if batches:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as sink:
            sink.write(as_json_lines(batches))
    return rows_in(batches)


def _arrays(values: Any, prefix: str, text: set[str]) -> dict[str, np.ndarray]:
    """A batch's inputs or outputs (as `_frame` takes them) as one array per column, without
    building a frame; nested dicts (class probabilities) become `<key>.<class>`."""
    if callable(values):
        values = values()
    if not isinstance(values, pd.DataFrame | Mapping):
        rows = list(values)
        values = pd.json_normalize(rows) if prefix == "output." else pd.DataFrame(rows)
    if isinstance(values, pd.DataFrame) and len(values.columns) and values.dtypes.nunique() == 1:
        block = values.to_numpy()  # one dtype (all numbers, say): one block, sliced for free
        if isinstance(values.dtypes.iloc[0], pd.StringDtype):
            text.update(prefix + str(name) for name in values.columns)
        return {prefix + str(name): block[:, i] for i, name in enumerate(values.columns)}
    arrays = {}
    for name, column in values.items():
        if isinstance(getattr(column, "dtype", None), pd.StringDtype):  # text even if all missing
            text.add(prefix + str(name))
        arrays[prefix + str(name)] = np.asarray(column)
    return arrays


class PendingRows:
    """Parquet rows waiting for their part file, as arrays per column and batch.

    Adding a batch costs microseconds, and a part's table is joined column by column, in C.
    Building a table per request, or one from all of a part's requests at once, held the
    interpreter for seconds per part, and stalled every request meanwhile.
    """

    def __init__(self) -> None:
        self.heads: list[tuple[str, str, int]] = []  # (at, model_version, rows) per batch
        self.columns: dict[str, list[np.ndarray]] = {}
        self.text: set[str] = {"request_id", "request"}
        self.rows = 0

    def add(self, at: str, version: str, inputs: Any, outputs: Any, ids: Any) -> None:
        count = len(inputs)
        arrays = {
            **request_columns(ids, count),
            **_arrays(inputs, "inputs.", self.text),
            **_arrays(outputs, "output.", self.text),
        }
        if any(len(values) != count for values in arrays.values()):
            raise ValueError(f"{count} input rows but outputs of another length")
        for name, parts in self.columns.items():  # absent from this batch: missing
            if name not in arrays:
                parts.append(_Gap(count))
        for name, values in arrays.items():
            if name not in self.columns:  # new with this batch: missing before it
                self.columns[name] = [_Gap(self.rows)] if self.rows else []
            self.columns[name].append(values)
        self.heads.append((at, version, count))
        self.rows += count

    def table(self) -> pd.DataFrame:
        """The records as flat columns: at, model_version, request_id, request, row, inputs.<feature>,
        output.<key>."""
        counts = [count for _, _, count in self.heads]
        table = pd.DataFrame(
            {
                "at": np.repeat([at for at, _, _ in self.heads], counts),
                "model_version": np.repeat([version for _, version, _ in self.heads], counts),
                **{name: _column(parts) for name, parts in self.columns.items()},
            }
        )
        for name in self.text:
            table[name] = table[name].astype("string")
        return table


class _Gap(int):
    """Rows of batches without this column, filled once the column's type is known."""


def _column(parts: list[Any]) -> np.ndarray:
    """A column's parts joined, its gaps missing values of its own type: NaN in a column of
    numbers (a refused request's row must not make every feature a column of objects)."""
    values = [part for part in parts if not isinstance(part, _Gap)]
    if len(values) == len(parts):
        return np.concatenate(parts)
    numeric = values and all(part.dtype.kind in "fiu" for part in values)
    dtype = np.result_type(np.float64, *values) if numeric else np.dtype(object)
    gap = np.nan if numeric else None
    return np.concatenate(
        [np.full(part, gap, dtype=dtype) if isinstance(part, _Gap) else part for part in parts]
    )


def joined(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Several takes' tables as one part's: columns some lack are missing there, text stays text."""
    if len(tables) == 1:
        return tables[0]
    text = {name for table in tables for name, dtype in table.dtypes.items()
            if isinstance(dtype, pd.StringDtype)}  # fmt: skip
    table = pd.concat(tables, ignore_index=True)
    return table.astype(dict.fromkeys(sorted(text), "string")) if text else table


def write_part(path: Path, table: pd.DataFrame, pid: str, part: int) -> None:
    """A part file of the log at `path`, named only once whole: readers never open half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # to the microsecond, and never over another part: two logs of one process (a restarted
    # writer, batch scoring) may start within the same second
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    final_path = path.with_name(f"{path.stem}-{stamp}-{pid}-{part:05d}.parquet")
    again = 0
    while final_path.exists():
        again += 1
        final_path = path.with_name(f"{path.stem}-{stamp}-{pid}-{part:05d}-{again}.parquet")
    partial = final_path.with_name(f".{final_path.name}.partial")  # hidden from globs, datasets
    try:
        table.to_parquet(partial)
        partial.replace(final_path)
    finally:
        partial.unlink(missing_ok=True)
