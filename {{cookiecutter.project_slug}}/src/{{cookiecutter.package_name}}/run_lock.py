"""One pipeline run per project at a time: two runs would read each other's half-made outputs.

The lock is the operating system's (flock on `.pipeline.lock` at the root), so a run killed
with -9 releases it; the file names the holder, so a refusal says who holds it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import PipelineError

LOCK_NAME = ".pipeline.lock"


@contextmanager
def exclusive_run(root: Path, what: str) -> Iterator[None]:
    """Hold the project's run lock for the block, or refuse at once naming who holds it."""
    path = root / LOCK_NAME
    with path.open("a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise PipelineError(
                f"another run holds {path} ({holder}): wait for it to finish, or stop it; "
                "two runs in one project would read each other's half-written outputs"
            ) from None
        lock.seek(0)
        lock.truncate()
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        lock.write(f"pid {os.getpid()}, `{what}`, since {started}")
        lock.flush()
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)
