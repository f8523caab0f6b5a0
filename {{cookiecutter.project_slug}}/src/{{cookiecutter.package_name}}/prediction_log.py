"""Every prediction the service makes, kept for monitoring: inputs, outputs, model version, time.

The sink is a local file. By default it is Parquet: columnar and typed, what a monitoring job
reads, and cheap to write (JSON lines halved the service's throughput on 10,000-row uploads,
since their writer shares the request's interpreter). It is written as numbered part files,
`predictions-<time>-<pid>-<n>.parquet`, since a Parquet file cannot be appended to: a part holds
up to 50,000 rows and reaches disk at least every FLUSH_SECONDS and when the server stops; each
takes its name only once whole, so a reader never opens a half-written file. A PREDICTION_LOG path not ending in `.parquet` gets JSON
lines, written as they come. Set PREDICTION_LOG to move the log, or to `off` to stop logging.

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

DEFAULT_PATH = "prediction-logs/predictions.parquet"
MAX_WAITING_ROWS = 200_000  # rows queued for the writer; beyond this they are dropped, counted
PARQUET_ROWS_PER_FILE = 50_000
FLUSH_SECONDS = 30.0  # buffered Parquet rows reach disk at least this often
ROWS_PER_WRITE = 20_000  # queued requests are written together, up to this many rows
_BUSY, _QUIET = object(), object()  # why the writer stopped taking batches off the queue
logger = logging.getLogger(__name__)


Batch = tuple[str, str, Any, Any]  # (at, model_version, inputs, outputs) of one request


def _rows(batches: list[Batch]) -> int:
    return sum(len(inputs) for _, _, inputs, _ in batches)


def _frames(batches: list[Batch]) -> tuple[list[tuple[str, str, int]], pd.DataFrame, pd.DataFrame]:
    """Many requests' inputs and outputs as two frames of equal length (pandas writes them fast,
    in C), and each request's (at, model_version, rows)."""
    heads, frames, results = [], [], []
    for at, version, inputs, outputs in batches:
        if callable(outputs):  # built here, on the log's thread, not on the request's
            outputs = outputs()
        frame = inputs if isinstance(inputs, pd.DataFrame) else pd.DataFrame(list(inputs))
        result = outputs if isinstance(outputs, pd.DataFrame) else pd.DataFrame(list(outputs))
        if len(result) != len(frame):
            raise ValueError(f"{len(frame)} input rows but {len(result)} outputs")
        heads.append((at, version, len(frame)))
        frames.append(frame)
        results.append(result)
    return heads, pd.concat(frames, ignore_index=True), pd.concat(results, ignore_index=True)


def as_json_lines(batches: list[Batch]) -> str:
    """One JSON object per row: {"at", "model_version", "inputs": {...}, "output": {...}}."""
    heads, frame, result = _frames(batches)
    prefixes = [
        prefix
        for at, version, count in heads
        for prefix in [json.dumps({"at": at, "model_version": version})[:-1]] * count
    ]
    rows = frame.to_json(orient="records", lines=True, double_precision=15).splitlines()
    answers = result.to_json(orient="records", lines=True, double_precision=15).splitlines()
    return "".join(
        f'{prefix}, "inputs": {row}, "output": {answer}}}\n'
        for prefix, row, answer in zip(prefixes, rows, answers, strict=True)
    )


def as_table(batches: list[Batch]) -> pd.DataFrame:
    """The same records as flat columns: at, model_version, inputs.<feature>, output.<key>."""
    heads, frame, result = _frames(batches)
    if "probabilities" in result:
        probabilities = pd.json_normalize(result.pop("probabilities").tolist())
        result = result.join(probabilities.add_prefix("probabilities."))
    table = pd.concat([frame.add_prefix("inputs."), result.add_prefix("output.")], axis=1)
    table.insert(0, "model_version", [version for _, version, count in heads for _ in range(count)])
    table.insert(0, "at", [at for at, _, count in heads for _ in range(count)])
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
        # Parquet rows not yet in a file, as they came: made into one table per part file, since
        # a table per request cost the writer a millisecond each
        self._pending: list[Batch] = []
        self._pending_rows = 0
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
        """Queue one batch: its rows (a frame or a list of dicts) and, one per row, its outputs
        (the same, or a function returning a frame); never raises or blocks.

        Turning it into records happens on the log's thread, off the request's path.
        """
        if self.path is None:
            return
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        with self._lock:
            full = self._waiting + len(inputs) > MAX_WAITING_ROWS
            if not full:
                self._waiting += len(inputs)
        if full:
            self._fail("the log queue is full (the sink is slower than the traffic)", len(inputs))
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
            batches, signal = self._take()
            with self._lock:
                self._waiting -= _rows(batches)
            due = signal is not _BUSY or time.monotonic() - self._last_file > FLUSH_SECONDS
            self._write(batches, final=due)
            if isinstance(signal, threading.Event):
                signal.set()
            elif signal is None:
                return

    def _take(self) -> tuple[list[Batch], Any]:
        """Every batch waiting, up to ROWS_PER_WRITE, so that one write serves many requests
        under load; and what ended the take: _BUSY, _QUIET (nothing came for FLUSH_SECONDS), a
        flush's Event, or None (close)."""
        try:
            item = self._queue.get(timeout=FLUSH_SECONDS)
        except queue.Empty:
            return [], _QUIET
        batches: list[Batch] = []
        rows = 0
        while isinstance(item, tuple):
            batches.append(item)
            rows += len(item[2])
            if rows >= ROWS_PER_WRITE:
                return batches, _BUSY
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batches, _BUSY
        return batches, item

    def _write(self, batches: list[Batch], final: bool) -> None:
        """Write batches (or only flush, given none); a failure drops and counts their rows."""
        parquet = self.path is not None and self.path.suffix == ".parquet"
        unwritten = _rows(batches) + self._pending_rows
        try:
            self.written += (self._write_parquet if parquet else self._write_jsonl)(batches, final)
        except Exception as exc:  # a full disk or a read-only mount must not reach the caller
            self._pending, self._pending_rows = [], 0
            self._fail(f"{type(exc).__name__}: {exc}", unwritten)

    def _write_jsonl(self, batches: list[Batch], final: bool) -> int:
        if not batches:
            return 0
        lines = as_json_lines(batches)
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(lines)
        return _rows(batches)

    def _write_parquet(self, batches: list[Batch], final: bool) -> int:
        """Buffer rows; write a part file when enough are waiting, or when asked to."""
        self._pending += batches
        self._pending_rows += _rows(batches)
        waiting = self._pending_rows
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
            as_table(self._pending).to_parquet(partial)
            partial.replace(final_path)  # readers see a whole part file or none
        finally:
            partial.unlink(missing_ok=True)
        self._pending, self._pending_rows = [], 0
        self._last_file = time.monotonic()
        return waiting
