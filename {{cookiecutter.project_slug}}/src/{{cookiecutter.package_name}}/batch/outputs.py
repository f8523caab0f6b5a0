"""The predictions file of a batch run, written a chunk at a time beside a hidden partial name
and named only once whole: a run that fails leaves no half file where a reader looks, and
never replaces the last good one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import PipelineError


class PredictionsFile:
    """CSV or Parquet by the path's suffix; Parquet row groups or CSV lines per chunk."""

    def __init__(self, path: Path) -> None:
        if path.suffix not in {".csv", ".parquet"}:
            raise PipelineError(f"score: --out {path}: name a .csv or .parquet file")
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        self.rows = 0
        self._writer: Any = None
        self._schema: Any = None

    def __enter__(self) -> PredictionsFile:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.partial.unlink(missing_ok=True)
        except OSError as exc:
            raise PipelineError(f"score: --out {self.path}: cannot be written: {exc}") from exc
        return self

    def write(self, frame: pd.DataFrame) -> None:
        try:
            if self.path.suffix == ".parquet":
                self._parquet(frame)
            else:
                frame.to_csv(self.partial, mode="a", header=self.rows == 0, index=False)
        except OSError as exc:
            raise PipelineError(f"score: --out {self.path}: cannot be written: {exc}") from exc
        self.rows += len(frame)

    def _parquet(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:  # a column all missing in the first chunk is text, not null
            self._schema = pa.schema(
                [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            )
            self._writer = pq.ParquetWriter(self.partial, self._schema)
        # every chunk in the first one's types: a column all missing in one chunk is no
        # reason for another type
        self._writer.write_table(table.cast(self._schema))

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if self._writer is not None:
            self._writer.close()
        if kind is None:
            self.partial.replace(self.path)
        else:
            self.partial.unlink(missing_ok=True)
