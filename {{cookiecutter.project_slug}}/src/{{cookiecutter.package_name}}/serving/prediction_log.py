"""Every prediction the service makes, kept for monitoring: inputs, outputs, model version,
time and request id (and each refused request, by its id).

The sink is a local file: by default Parquet, columnar and typed, what a monitoring job reads,
and cheap to write (JSON lines halved the service's throughput on 10,000-row uploads, since
their writer shares the request's interpreter). A Parquet file cannot be appended to, so the
log is part files, `predictions-<time>-<pid>-<n>.parquet`, of up to 50,000 rows, written
within FLUSH_SECONDS of their first row and when the server stops, each named only once whole. A
PREDICTION_LOG path not ending in `.parquet` gets JSON lines; `off` stops logging.

Logging must never fail or slow a request: records go onto a bounded queue that a background
thread drains. When the queue is full, or the sink cannot be written, records are dropped and
counted (see /metadata), and the reason is logged once, not per request.

A killed server (`kill -9`) loses only its last moments' rows (those on the queue): Parquet
rows are journaled before they are buffered (log_journal.py), and the next server to start
recovers them and counts, from the dead one's counters, the rows lost; /metadata shows both.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import queue
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from .log_journal import Journal, Recovery, recover
from .log_rows import Batch, PendingRows, append_json_lines, joined, rows_in, write_part
from .names import DEFAULT_LOG

MAX_WAITING_ROWS = 200_000  # rows queued for the writer; beyond this they are dropped, counted
PARQUET_ROWS_PER_FILE = 50_000
FLUSH_SECONDS = 30.0  # a buffered Parquet row reaches a part file within this long
JOURNAL_SECONDS = 0.5  # and their journal at least this often (log_journal.py): the kill bound
ROWS_PER_WRITE = 20_000  # queued requests are written together, up to this many rows
_NO_INPUTS = pd.DataFrame(index=range(1))  # a refused request's row
_BUSY, _QUIET = object(), object()  # why the writer stopped taking batches off the queue
logger = logging.getLogger(__name__)


class PredictionLog:
    """A fire-and-forget writer of prediction records to one sink."""

    def __init__(self, target: str | None) -> None:
        self.path = None if target in {None, "", "off"} else Path(target)  # type: ignore[arg-type]
        self.accepted = 0
        self.written = 0
        self.dropped = 0
        self.last_error = ""
        self.recovered = Recovery()  # what the servers before this one left unwritten
        self._queue: queue.Queue[Any] = queue.Queue()  # batches, flushes, None
        self._waiting = 0  # rows queued, bounded by MAX_WAITING_ROWS
        self._buffered_since: float | None = None  # when the oldest row not in a file came
        self._open = PendingRows()  # Parquet rows taken since the last journal write
        self._pending: list[pd.DataFrame] = []  # journaled rows not yet in a part file
        self._last_journal = time.monotonic()
        self._part = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._journal: Journal | None = None
        if self.path is not None:
            self._open_journal()
            self._thread = threading.Thread(target=self._drain, name="prediction-log", daemon=True)
            self._thread.start()
            atexit.register(self.close)

    @classmethod
    def from_environment(cls) -> PredictionLog:
        return cls(os.environ.get("PREDICTION_LOG") or DEFAULT_LOG)  # set empty: the default

    def _open_journal(self) -> None:
        """Recover what dead servers left, then journal this one; a log directory that cannot
        be written is reported by the first write, as before, not here."""
        assert self.path is not None
        try:
            self.recovered = recover(self.path, partial(write_part, self.path))
            self._journal = Journal(self.path)
        except OSError as exc:
            self.last_error = f"no journal: {type(exc).__name__}: {exc}"
            logger.warning("prediction log %s: %s", self.sink, self.last_error)

    @property
    def parquet(self) -> bool:
        return self.path is not None and self.path.suffix == ".parquet"

    def _count(self) -> None:
        if self._journal is not None:
            self._journal.count(self.accepted, self.written, self.dropped)

    def status(self) -> dict[str, Any]:
        """For /metadata: where the log goes, what it wrote, dropped and recovered."""
        return {
            "sink": self.sink, "written": self.written, "dropped": self.dropped,
            "last_error": self.last_error, "recovered_at_start": self.recovered.rows,
            "lost_before_start": self.recovered.lost,
        }  # fmt: skip

    @property
    def sink(self) -> str:
        return "off" if self.path is None else str(self.path)

    def record(
        self, model_version: str, inputs: Any, outputs: Any, request_ids: Any = None
    ) -> None:
        """Queue one batch: its rows (a frame or a list of dicts), one output per row (a frame,
        columns, rows as dicts, or a function returning one of these: built on the log's
        thread, off the request's path) and the request id (one for the batch, or one per row:
        log_rows.request_columns); never raises or blocks."""
        if self.path is None:
            return
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        with self._lock:
            self.accepted += len(inputs)
            full = self._waiting + len(inputs) > MAX_WAITING_ROWS
            if not full:
                self._waiting += len(inputs)
            self._count()
        if full:
            self._fail("the log queue is full (the sink is slower than the traffic)", len(inputs))
            return
        self._queue.put_nowait((at, model_version, inputs, outputs, request_ids))

    def refused(self, model_version: str, request_id: Any, reason: str) -> None:
        """One row for a request the service refused: no inputs, `output.refused` says why;
        `monitor` counts them (a client sending what the model cannot take is a drift too)."""
        self.record(
            model_version,
            _NO_INPUTS,
            {"refused": pd.array([reason[:300]], dtype="string")},
            request_id,
        )

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
        if self._journal is not None and not (self._thread and self._thread.is_alive()):
            self._journal.close()  # everything is written: nothing for the next start
            self._journal = None

    def _fail(self, reason: str, count: int = 1) -> None:
        with self._lock:
            self.dropped += count
            self._count()
            if reason != self.last_error:
                logger.warning("prediction log %s: %s; records are dropped", self.sink, reason)
                self.last_error = reason

    def _drain(self) -> None:
        while True:
            batches, signal = self._take(JOURNAL_SECONDS if self._open.rows else self._until_due())
            with self._lock:
                self._waiting -= rows_in(batches)
            due = signal not in (_BUSY, _QUIET) or self._until_due() == 0.0
            self._write(batches, final=due)
            if isinstance(signal, threading.Event):
                signal.set()
            elif signal is None:
                return

    def _until_due(self) -> float:
        """Seconds until the oldest buffered row must be in a part file: FLUSH_SECONDS counts
        from that row's arrival, not from the last file (after an idle spell, the first
        request's row would otherwise be written alone, at once)."""
        if self._buffered_since is None:
            return FLUSH_SECONDS
        return max(0.0, FLUSH_SECONDS - (time.monotonic() - self._buffered_since))

    def _take(self, timeout: float) -> tuple[list[Batch], Any]:
        """Every batch waiting, up to ROWS_PER_WRITE, so that one write serves many requests
        under load; and what ended the take: _BUSY, _QUIET (nothing came within `timeout`), a
        flush's Event, or None (close)."""
        try:
            item = self._queue.get(timeout=timeout)
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
        unwritten = rows_in(batches) + self._open.rows + sum(map(len, self._pending))
        try:
            if self.parquet:
                written = self._write_parquet(batches, final)
            else:
                written = append_json_lines(self.path, batches)
            with self._lock:
                self.written += written
                self._count()
        except Exception as exc:  # a full disk or a read-only mount must not reach the caller
            self._open, self._pending, self._buffered_since = PendingRows(), [], None
            if self._journal is not None:
                self._journal.done(self._part + 1)  # its rows are counted as dropped
            self._fail(f"{type(exc).__name__}: {exc}", unwritten)

    def _write_parquet(self, batches: list[Batch], final: bool) -> int:
        """Buffer rows, journal them every JOURNAL_SECONDS (and when traffic pauses), and write
        a part file when enough are waiting or when asked. One table per journal write, not
        per take: per take, the writer held the interpreter often enough to halve the
        single-row throughput."""
        for batch in batches:
            self._open.add(*batch)
        if batches and self._buffered_since is None:
            self._buffered_since = time.monotonic()
        waiting = self._open.rows + sum(map(len, self._pending))
        if waiting and (final or waiting >= PARQUET_ROWS_PER_FILE):
            if self._open.rows:
                self._pending.append(self._open.table())
            write_part(self.path, joined(self._pending), str(os.getpid()), self._part + 1)
            self._part += 1
            if self._journal is not None:
                self._journal.done(self._part)
            self._open, self._pending, self._buffered_since = PendingRows(), [], None
            return waiting
        now = time.monotonic()
        if self._open.rows and (not batches or now - self._last_journal >= JOURNAL_SECONDS):
            table = self._open.table()
            if self._journal is not None:
                self._journal.append(self._part + 1, table)
            self._pending.append(table)
            self._open, self._last_journal = PendingRows(), now
        return 0
