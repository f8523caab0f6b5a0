"""Every prediction the service makes, kept for monitoring: inputs, outputs, model version, time.

The sink is a local file by default: JSON lines, or Parquet when PREDICTION_LOG ends in
`.parquet` (written as numbered part files, since a Parquet file cannot be appended to; each
part takes its name only once whole, so a reader never opens a half-written file).
Set PREDICTION_LOG to another path to move it, or to `off` to stop logging.

Logging must never fail or slow a request: records go onto a bounded queue that a background
thread drains. When the queue is full, or the sink cannot be written, records are dropped and
counted (see /metadata), and the reason is logged once, not per request.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

DEFAULT_PATH = "prediction-logs/predictions.jsonl"
MAX_WAITING_ROWS = 200_000  # rows queued for the writer; beyond this they are dropped, counted
PARQUET_ROWS_PER_FILE = 50_000
FLUSH_SECONDS = 30.0  # buffered Parquet rows reach disk at least this often
logger = logging.getLogger(__name__)


def _frames(inputs: Any, outputs: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inputs and outputs as two frames of equal length (pandas writes them fast, in C)."""
    frame = inputs if isinstance(inputs, pd.DataFrame) else pd.DataFrame(list(inputs))
    result = outputs if isinstance(outputs, pd.DataFrame) else pd.DataFrame(list(outputs))
    if len(result) != len(frame):
        raise ValueError(f"{len(frame)} input rows but {len(result)} outputs")
    return frame.reset_index(drop=True), result.reset_index(drop=True)


def as_json_lines(at: str, version: str, inputs: Any, outputs: list[Any]) -> str:
    """One JSON object per row: {"at", "model_version", "inputs": {...}, "output": {...}}."""
    frame, result = _frames(inputs, outputs)
    head = json.dumps({"at": at, "model_version": version})[:-1]
    rows = frame.to_json(orient="records", lines=True, double_precision=15).splitlines()
    answers = result.to_json(orient="records", lines=True, double_precision=15).splitlines()
    return "".join(
        f'{head}, "inputs": {row}, "output": {answer}}}\n'
        for row, answer in zip(rows, answers, strict=True)
    )


def as_table(at: str, version: str, inputs: Any, outputs: list[Any]) -> pd.DataFrame:
    """The same records as flat columns: at, model_version, inputs.<feature>, output.<key>."""
    frame, result = _frames(inputs, outputs)
    if "probabilities" in result:
        probabilities = pd.json_normalize(result.pop("probabilities").tolist())
        result = result.join(probabilities.add_prefix("probabilities."))
    table = pd.concat([frame.add_prefix("inputs."), result.add_prefix("output.")], axis=1)
    table.insert(0, "model_version", version)
    table.insert(0, "at", at)
    return table


class PredictionLog:
    """A fire-and-forget writer of prediction records to one sink."""

    def __init__(self, target: str | None) -> None:
        self.path = None if target in {None, "", "off"} else Path(target)  # type: ignore[arg-type]
        self.written = 0
        self.dropped = 0
        self.last_error = ""
        self._queue: queue.Queue[Any] = queue.Queue()  # batches, flushes, None
        self._waiting = 0  # rows queued, bounded by MAX_WAITING_ROWS
        self._last_file = time.monotonic()
        self._pending: list[pd.DataFrame] = []  # Parquet rows not yet in a file
        self._part = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        if self.path is not None:
            self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)
            self._thread.start()
            atexit.register(self.close)

    @classmethod
    def from_environment(cls) -> PredictionLog:
        return cls(os.environ.get("PREDICTION_LOG", DEFAULT_PATH))

    @property
    def sink(self) -> str:
        return "off" if self.path is None else str(self.path)

    def record(self, model_version: str, inputs: Any, outputs: Any) -> None:
        """Queue one batch (frames, or lists of dicts, of rows and outputs); never raises or
        blocks.

        Turning it into records happens on the log's thread, off the request's path.
        """
        if self.path is None:
            return
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        with self._lock:
            full = self._waiting + len(outputs) > MAX_WAITING_ROWS
            if not full:
                self._waiting += len(outputs)
        if full:
            self._fail("the log queue is full (the sink is slower than the traffic)", len(outputs))
            return
        self._queue.put_nowait((at, model_version, inputs, outputs))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued record is written (or dropped); for tests and shutdown."""
        if self._thread is None:
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.flush()
            self._queue.put(None)
            self._thread.join(timeout=5)

    def _fail(self, reason: str, count: int = 1) -> None:
        with self._lock:
            self.dropped += count
            if reason != self.last_error:
                logger.warning("prediction log %s: %s; records are dropped", self.sink, reason)
                self.last_error = reason

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=FLUSH_SECONDS)
            except queue.Empty:  # quiet: put buffered Parquet rows on disk
                self._write_batch(None, final=True)
                continue
            if item is None:
                self._write_batch(None, final=True)
                return
            if isinstance(item, threading.Event):
                self._write_batch(None, final=True)
                item.set()
                continue
            with self._lock:
                self._waiting -= len(item[3])
            due = time.monotonic() - self._last_file > FLUSH_SECONDS  # busy or not
            self._write_batch(item, final=due)

    def _write_batch(self, batch: tuple | None, final: bool) -> None:
        """Write one batch (or only flush, given None); a failure drops and counts its rows."""
        parquet = self.path is not None and self.path.suffix == ".parquet"
        try:
            self.written += (self._write_parquet if parquet else self._write_jsonl)(batch, final)
        except Exception as exc:  # a full disk or a read-only mount must not reach the caller
            lost = (len(batch[3]) if batch else 0) + sum(len(part) for part in self._pending)
            self._pending = []
            self._fail(f"{type(exc).__name__}: {exc}", lost)

    def _write_jsonl(self, batch: tuple | None, final: bool) -> int:
        if not batch:
            return 0
        lines = as_json_lines(*batch)
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(lines)
        return len(batch[3])

    def _write_parquet(self, batch: tuple | None, final: bool) -> int:
        """Buffer rows; write a part file when enough are waiting, or when asked to."""
        if batch:
            self._pending.append(as_table(*batch))
        waiting = sum(len(part) for part in self._pending)
        if not waiting or (waiting < PARQUET_ROWS_PER_FILE and not final):
            return 0
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._part += 1
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        name = f"{self.path.stem}-{stamp}-{os.getpid()}-{self._part:05d}.parquet"
        final_path = self.path.with_name(name)
        partial = final_path.with_name(f".{name}.partial")  # hidden from globs and datasets
        try:
            pd.concat(self._pending, ignore_index=True).to_parquet(partial)
            partial.replace(final_path)  # readers see a whole part file or none
        finally:
            partial.unlink(missing_ok=True)
        self._pending = []
        self._last_file = time.monotonic()
        return waiting
