"""Batch input read a chunk at a time: a CSV or Parquet file, or a folder of them, so memory is
bounded by the chunk, not the file. Cells are read as the service reads an upload
(serving/table_input.py): CSV as text, checked against the schema column by column."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import PipelineError
from ..serving.table_input import PARQUET_MAGIC

SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class Chunk:
    file: Path
    start: int  # the first row's place in its file
    frame: pd.DataFrame


def parts(source: Path) -> list[Path]:
    """The files to score, in name order: `source` itself, or a folder's CSV and Parquet files
    (hidden and partial files left out: a writer may be filling one)."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise PipelineError(f"score: {source}: no such file or folder")
    found = sorted(
        path for path in source.iterdir()
        if path.is_file() and path.suffix in SUFFIXES and not path.name.startswith(".")
    )  # fmt: skip
    if not found:
        raise PipelineError(f"score: {source}: a folder with no .csv or .parquet file")
    return found


def is_parquet(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(4) == PARQUET_MAGIC


def size_of(path: Path) -> tuple[int | None, int]:
    """(rows, bytes): a Parquet file's row count is in its footer; a CSV's is unknown unread."""
    if is_parquet(path):
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows, path.stat().st_size
    return None, path.stat().st_size


def chunks(path: Path, rows: int) -> Iterator[Chunk]:
    """`path` in chunks of `rows`; a file that cannot be read is named, with pandas' or
    pyarrow's first line."""
    try:
        if is_parquet(path):
            yield from _parquet(path, rows)
        else:
            yield from _csv(path, rows)
    except PipelineError:
        raise
    except pd.errors.ParserWarning as exc:
        raise PipelineError(f"score: {path}: a row has more fields than the header") from exc
    except UnicodeDecodeError as exc:
        raise PipelineError(f"score: {path}: neither Parquet nor UTF-8 CSV") from exc
    except Exception as exc:  # pandas and pyarrow raise many kinds for a malformed file
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise PipelineError(
            f"score: {path}: not a readable CSV or Parquet table ({reason})"
        ) from exc


def _parquet(path: Path, rows: int) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    start = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
        frame = batch.to_pandas()
        stored_index = [c for c in frame.columns if str(c).startswith("__index_level_")]
        frame = frame.drop(columns=stored_index)  # a stored index is no feature (as an upload)
        yield Chunk(path, start, frame.reset_index(drop=True))
        start += len(frame)


def _csv(path: Path, rows: int) -> Iterator[Chunk]:
    start = 0
    with warnings.catch_warnings():  # a row longer than the header is refused, not cut
        warnings.simplefilter("error", pd.errors.ParserWarning)
        reader = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            index_col=False,  # never take the first column for an index: no shift
            chunksize=rows,
            encoding="utf-8-sig",
        )
        with reader:
            for frame in reader:
                yield Chunk(path, start, frame.reset_index(drop=True))
                start += len(frame)
