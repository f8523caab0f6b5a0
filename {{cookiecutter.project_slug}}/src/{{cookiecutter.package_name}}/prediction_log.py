"""Every prediction the service makes, kept for monitoring: inputs, outputs, model version, time.

The sink is a local file by default: JSON lines, or Parquet when PREDICTION_LOG ends in
`.parquet` (written as numbered part files, since a Parquet file cannot be appended to).
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
from pathlib import Path
from typing import Any

DEFAULT_PATH = "prediction-logs/predictions.jsonl"
QUEUE_SIZE = 10_000
PARQUET_ROWS_PER_FILE = 50_000
FLUSH_SECONDS = 30.0  # buffered Parquet rows reach disk at least this often
logger = logging.getLogger(__name__)


class PredictionLog:
    """A fire-and-forget writer of prediction records to one sink."""

    def __init__(self, target: str | None) -> None:
        self.path = None if target in {None, "", "off"} else Path(target)  # type: ignore[arg-type]
        self.written = 0
        self.dropped = 0
        self.last_error = ""
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(QUEUE_SIZE)
        self._pending: list[dict[str, Any]] = []  # Parquet rows not yet in a file
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

    def record(
        self, model_version: str, rows: list[dict[str, Any]], outputs: list[dict[str, Any]]
    ) -> None:
        """Queue one record per row; never raises, never blocks."""
        if self.path is None:
            return
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        for inputs, output in zip(rows, outputs, strict=False):
            try:
                self._queue.put_nowait(
                    {"at": at, "model_version": model_version, "inputs": inputs, "output": output}
                )
            except queue.Full:
                self._fail("the log queue is full (the sink is slower than the traffic)")

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued record is written (or dropped); for tests and shutdown."""
        if self._thread is None:
            return
        done = threading.Event()
        self._queue.put({"__flush__": done})  # type: ignore[dict-item]
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
                self._write_batch([], final=True)
                continue
            if item is None:
                self._write_batch([], final=True)
                return
            batch = [item]
            while len(batch) < 1000:  # write what is waiting in one go
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            flushes = [entry.pop("__flush__") for entry in batch if "__flush__" in entry]
            self._write_batch([entry for entry in batch if entry], final=bool(flushes))
            for event in flushes:
                event.set()

    def _write_batch(self, records: list[dict[str, Any]], final: bool) -> None:
        parquet = self.path is not None and self.path.suffix == ".parquet"
        try:
            self.written += (self._write_parquet if parquet else self._write_jsonl)(records, final)
        except Exception as exc:  # a full disk or a read-only mount must not reach the caller
            lost = len(records) + len(self._pending)
            self._pending = []
            self._fail(f"{type(exc).__name__}: {exc}", lost)

    def _write_jsonl(self, records: list[dict[str, Any]], final: bool) -> int:
        if records:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as sink:
                sink.writelines(json.dumps(record, default=str) + "\n" for record in records)
        return len(records)

    def _write_parquet(self, records: list[dict[str, Any]], final: bool) -> int:
        """Buffer rows; write a part file when enough are waiting, or when asked to."""
        self._pending.extend(records)
        if not self._pending or (len(self._pending) < PARQUET_ROWS_PER_FILE and not final):
            return 0
        import pandas as pd

        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._part += 1
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        name = f"{self.path.stem}-{stamp}-{os.getpid()}-{self._part:05d}.parquet"
        pd.json_normalize(self._pending, sep=".").to_parquet(self.path.with_name(name))
        written, self._pending = len(self._pending), []
        return written
