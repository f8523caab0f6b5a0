"""What keeps the prediction log whole when the server is killed (`kill -9`, the OOM killer).

Rows wait in memory for their Parquet part file (up to FLUSH_SECONDS); a killed process would
lose them. So the writer appends each set of rows it takes off the queue to a journal beside
the log (Arrow IPC, one file per part to come) before buffering it, and counts, in a small
memory-mapped file, every row accepted, written to a part and dropped. Both survive the
process: the kernel keeps their pages. The next server to start with the same log recovers a
dead writer's journal into a part file and reads its counters, so the rows lost (accepted,
but neither written, journaled nor counted as dropped: those still on the queue at the kill)
are known, logged and shown in /metadata. A live writer holds an flock on its counters file,
so a journal is recovered only once its writer is gone.
"""

from __future__ import annotations

import fcntl
import logging
import mmap
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa

COUNTERS = struct.Struct("<QQQ")  # accepted, written, dropped
HEADER = struct.Struct("<QQ")  # bytes, rows of one journal entry
logger = logging.getLogger(__name__)


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


class Journal:
    """One writer's journal and counters: `.<stem>-<pid>.counts`, `.<stem>-<pid>-<part>.journal`."""

    def __init__(self, path: Path) -> None:
        self.base = path.with_name(f".{path.stem}-{os.getpid()}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._counts = Path(f"{self.base}.counts").open("w+b")  # noqa: SIM115 (held for life)
        fcntl.flock(self._counts, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._counts.write(bytes(COUNTERS.size))
        self._counts.flush()
        self._map = mmap.mmap(self._counts.fileno(), COUNTERS.size)
        self._entries: BinaryIO | None = None
        self._open_part: int | None = None

    def count(self, accepted: int, written: int, dropped: int) -> None:
        """A memory store, no system call: cheap enough for every request."""
        COUNTERS.pack_into(self._map, 0, accepted, written, dropped)

    def entries(self, part: int) -> Path:
        return Path(f"{self.base}-{part:05d}.journal")

    def append(self, part: int, frame: pd.DataFrame) -> None:
        """Journal rows before they are buffered for `part`; written, not fsynced: a killed
        process loses nothing the kernel has, and a power cut is the disk's business."""
        data = _ipc(pa.Table.from_pandas(frame, preserve_index=False))
        if self._open_part != part:
            self._close_entries()
            self._entries = self.entries(part).open("ab")
            self._open_part = part
        assert self._entries is not None
        self._entries.write(HEADER.pack(len(data), len(frame)) + data)
        self._entries.flush()

    def done(self, part: int) -> None:
        """Part `part` is on disk (or its rows are counted as dropped): drop its journal."""
        if self._open_part == part:
            self._close_entries()
        self.entries(part).unlink(missing_ok=True)

    def _close_entries(self) -> None:
        if self._entries is not None:
            self._entries.close()
        self._entries, self._open_part = None, None

    def close(self) -> None:
        """A clean stop: nothing to recover, so nothing is left behind."""
        self._close_entries()
        self._map.close()
        Path(f"{self.base}.counts").unlink(missing_ok=True)
        self._counts.close()


@dataclass
class Recovery:
    rows: int = 0  # journaled rows of dead writers, now in part files
    lost: int = 0  # rows those writers accepted and never wrote, journaled or dropped
    writers: int = 0


def _read(journal: Path) -> list[pa.Table]:
    """The whole entries of a journal; a torn last one (cut by the kill) is left out, its rows
    counted as lost by the counters."""
    data, tables, offset = journal.read_bytes(), [], 0
    while offset + HEADER.size <= len(data):
        size, _rows = HEADER.unpack_from(data, offset)
        body = data[offset + HEADER.size : offset + HEADER.size + size]
        if len(body) < size:
            break
        tables.append(pa.ipc.open_stream(body).read_all())
        offset += HEADER.size + size
    return tables


def recover(path: Path, write_part: Callable[[pd.DataFrame, str, int], None]) -> Recovery:
    """Recover every dead writer's journal beside `path` with `write_part(frame, pid, part)`."""
    found = Recovery()
    for counts in sorted(path.parent.glob(f".{path.stem}-*.counts")):
        pid = counts.stem.rsplit("-", 1)[-1]
        try:
            handle = counts.open("r+b")
        except FileNotFoundError:  # another server recovered it first
            continue
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its writer is alive
                continue
            raw = handle.read(COUNTERS.size)
            accepted, written, dropped = COUNTERS.unpack(raw.ljust(COUNTERS.size, b"\0"))
            kept = 0
            for journal in sorted(path.parent.glob(f".{path.stem}-{pid}-*.journal")):
                part = int(journal.stem.rsplit("-", 1)[-1])
                tables = _read(journal)
                if list(path.parent.glob(f"{path.stem}-*-{pid}-{part:05d}.parquet")):
                    tables = []  # killed after writing the part, before removing its journal
                if tables:
                    table = pa.concat_tables(tables, promote_options="permissive")
                    write_part(table.to_pandas(), pid, part)
                    kept += table.num_rows
                journal.unlink()
            counts.unlink()
        found.writers += 1
        found.rows += kept
        found.lost += max(accepted - written - dropped - kept, 0)
    if found.writers:
        logger.warning(
            "prediction log %s: a server stopped without closing it; %d rows recovered from its "
            "journal, %d lost (accepted, never written)", path, found.rows, found.lost,
        )  # fmt: skip
    return found
