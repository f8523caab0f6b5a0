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
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any

from .log_rows import Batch, PendingRows, as_json_lines, rows_in

DEFAULT_PATH = "prediction-logs/predictions.parquet"
MAX_WAITING_ROWS = 200_000  # rows queued for the writer; beyond this they are dropped, counted
PARQUET_ROWS_PER_FILE = 50_000
FLUSH_SECONDS = 30.0  # buffered Parquet rows reach disk at least this often
ROWS_PER_WRITE = 20_000  # queued requests are written together, up to this many rows
_BUSY, _QUIET = object(), object()  # why the writer stopped taking batches off the queue
logger = logging.getLogger(__name__)


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
        self._pending = PendingRows()  # Parquet rows not yet in a part file
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
        (a frame, columns, rows as dicts, or a function returning one of these); never raises
        or blocks.

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
                self._waiting -= rows_in(batches)
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
        unwritten = rows_in(batches) + self._pending.rows
        try:
            self.written += (self._write_parquet if parquet else self._write_jsonl)(batches, final)
        except Exception as exc:  # a full disk or a read-only mount must not reach the caller
            self._pending = PendingRows()
            self._fail(f"{type(exc).__name__}: {exc}", unwritten)

    def _write_jsonl(self, batches: list[Batch], final: bool) -> int:
        if not batches:
            return 0
        lines = as_json_lines(batches)
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as sink:
            sink.write(lines)
        return rows_in(batches)

    def _write_parquet(self, batches: list[Batch], final: bool) -> int:
        """Buffer rows; write a part file when enough are waiting, or when asked to."""
        for batch in batches:
            self._pending.add(*batch)
        waiting = self._pending.rows
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
            self._pending.table().to_parquet(partial)
            partial.replace(final_path)  # readers see a whole part file or none
        finally:
            partial.unlink(missing_ok=True)
        self._pending = PendingRows()
        self._last_file = time.monotonic()
        return waiting
