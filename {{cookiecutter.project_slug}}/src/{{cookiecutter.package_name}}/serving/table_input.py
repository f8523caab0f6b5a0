"""Batch input as a table (a CSV or Parquet upload): read it, and check it against the feature
schema column by column, as the JSON row model checks a row, so a file gets the same answers.

Checks are vectorised: a million-row file is checked in pandas, not row by row. Each error
names the column (and the first offending row) so the sender can fix the file.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import MAX_ABS_INT, MAX_ABS_NUMBER, MAX_TEXT, Kind

PARQUET_MAGIC = b"PAR1"
TRUE_WORDS = {"true", "1"}
FALSE_WORDS = {"false", "0"}


class TableError(ValueError):
    """A table that does not fit the schema; the message names the column."""


def read_table(path: Path, max_rows: int) -> pd.DataFrame:
    """A Parquet file (known by its magic bytes) or else CSV, every cell read as sent."""
    with path.open("rb") as stream:
        head = stream.read(4)
    try:
        if head == PARQUET_MAGIC:
            import pyarrow.parquet as pq

            rows = pq.ParquetFile(path).metadata.num_rows
            if rows > max_rows:
                raise TableError(f"file: {rows} rows, more than the limit of {max_rows}")
            frame = pd.read_parquet(path).reset_index(drop=True)  # a stored index is no feature
        else:
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise TableError("file: neither Parquet nor UTF-8 CSV") from exc
            with warnings.catch_warnings():  # a row longer than the header is refused, not cut
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(
                    io.StringIO(text),
                    dtype=str,
                    keep_default_na=False,
                    nrows=max_rows + 1,
                    index_col=False,  # never take the first column for an index: no shift
                )
    except TableError:
        raise
    except pd.errors.ParserWarning as exc:
        raise TableError("file: a row has more fields than the header") from exc
    except Exception as exc:  # pandas and pyarrow raise many kinds for a malformed file
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise TableError(f"file: not a readable CSV or Parquet table ({reason})") from exc
    if len(frame) > max_rows:
        raise TableError(f"file: more than the limit of {max_rows} rows")
    if frame.empty:
        raise TableError("file: no rows")
    return frame


def check_table(
    frame: pd.DataFrame,
    schema: dict[str, Kind],
    nullable: set[str],
    ignored: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """The table with each column in its schema type, or TableError naming the column.

    Columns in `ignored` (the training data's target and `data.drop`) are left out, so the
    rows a model was trained on can be scored as they are; any other column is refused."""
    names = [str(column) for column in frame.columns]
    missing = [name for name in schema if name not in names]
    extra = [name for name in names if name not in schema and name not in ignored]
    if missing:
        raise TableError(f"{', '.join(missing)}: column(s) missing")
    if extra:
        raise TableError(f"{', '.join(extra)}: unexpected column(s)")
    if len(set(names)) != len(names):
        raise TableError("file: duplicated column names")
    frame.columns = names
    checked = {  # only the schema's columns: an ignored one is never read
        name: _column(frame[name], name, kind, name in nullable) for name, kind in schema.items()
    }
    return pd.DataFrame(checked, columns=list(schema))


def _first(mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0])


def _column(values: pd.Series, name: str, kind: Kind, nullable: bool) -> pd.Series:
    if kind == "float" and pd.api.types.is_float_dtype(values.dtype):
        return _floats(values, name, nullable)
    text = values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
    empty = values.isna() | (values.astype(str).str.strip() == "") if text else values.isna()
    if empty.any() and not nullable:
        raise TableError(
            f"{name}: null or empty at row {_first(empty)} (not allowed: it had none in training)"
        )
    if kind == "str":
        if not text:
            raise TableError(f"{name}: expected text, got {values.dtype}")
        bad = values.astype(str).str.len() > MAX_TEXT
        if bad.any():
            raise TableError(f"{name}: text longer than {MAX_TEXT} characters at row {_first(bad)}")
        return values.where(~empty, None)
    if kind == "bool":
        if pd.api.types.is_bool_dtype(values.dtype):
            return values
        if not text:
            raise TableError(f"{name}: expected true/false, got {values.dtype}")
        words = values.astype(str).str.strip().str.lower()
        bad = ~(words.isin(TRUE_WORDS | FALSE_WORDS) | empty)
        if bad.any():
            raise TableError(
                f"{name}: expected true/false, got {values.iloc[_first(bad)]!r} at row {_first(bad)}"
            )
        return words.isin(TRUE_WORDS).where(~empty, None)
    if pd.api.types.is_bool_dtype(values.dtype):
        raise TableError(f"{name}: expected a number, got booleans")
    if kind == "int" and pd.api.types.is_integer_dtype(values.dtype):  # exact, not via float
        bad = values.abs() > MAX_ABS_INT
        if bad.any():
            raise TableError(
                f"{name}: {values.iloc[_first(bad)]} at row {_first(bad)} exceeds ±{MAX_ABS_INT}"
            )
        return values.astype("int64")
    numbers = pd.to_numeric(values.where(~empty, None), errors="coerce") if text else values
    if not pd.api.types.is_numeric_dtype(numbers.dtype):
        raise TableError(f"{name}: expected a number, got {values.dtype}")
    numbers = numbers.astype("float64")
    bad = numbers.isna() & ~empty
    if bad.any():
        raise TableError(
            f"{name}: expected a number, got {values.iloc[_first(bad)]!r} at row {_first(bad)}"
        )
    if text:
        numbers = _exactly(values, numbers, empty)
    limit = MAX_ABS_INT if kind == "int" else MAX_ABS_NUMBER
    bad = ~np.isfinite(numbers) & ~numbers.isna()
    if bad.any():
        raise TableError(f"{name}: non-finite number at row {_first(bad)}")
    bad = numbers.abs() > limit
    if bad.any():
        raise TableError(
            f"{name}: {numbers.iloc[_first(bad)]} at row {_first(bad)} exceeds ±{limit:g}"
        )
    if kind == "int":
        bad = (numbers % 1 != 0) & ~numbers.isna()
        if bad.any():
            raise TableError(
                f"{name}: expected an integer, got {values.iloc[_first(bad)]!r} at row {_first(bad)}"
            )
        return numbers if nullable else numbers.astype("int64")  # the imputer takes NaN
    return numbers


def _exactly(text: pd.Series, numbers: pd.Series, empty: pd.Series) -> pd.Series:
    """The numbers `text` spells, to the last bit: pandas' fast parser, which decided what
    is a number, is off by one unit in the last place for about one value in seven, so a
    CSV row would be scored on other values than the same row sent as JSON."""
    try:
        exact = text.where(~empty, "nan").astype("float64")
    except (TypeError, ValueError):  # a spelling the fast parser takes and Python's does not
        return numbers
    return exact.where(~empty, np.nan)


def _floats(values: pd.Series, name: str, nullable: bool) -> pd.Series:
    """The common case, a float column from Parquet: one pass of numpy, no text handling."""
    array = values.to_numpy(dtype="float64")
    missing = np.isnan(array)
    if not nullable and missing.any():
        raise TableError(f"{name}: null or empty at row {int(np.flatnonzero(missing)[0])} "
                         "(not allowed: it had none in training)")  # fmt: skip
    bad = np.isinf(array)
    if bad.any():
        raise TableError(f"{name}: non-finite number at row {int(np.flatnonzero(bad)[0])}")
    bad = np.abs(np.where(missing, 0.0, array)) > MAX_ABS_NUMBER
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise TableError(f"{name}: {array[row]} at row {row} exceeds ±{MAX_ABS_NUMBER:g}")
    return pd.Series(array, name=name)
