"""A benchmark's child process, measured from outside: its last JSON line, exit status, wall
time, and peak resident memory from the kernel (what the process as a whole used)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from ..serving.names import PACKAGE


@dataclass(frozen=True)
class Child:
    report: dict[str, Any]  # the child's last line, or {"error": "no report"}
    status: int  # the raw wait status: 0 for a clean exit
    total_s: float
    peak_mib: float


def run_child(module: str, *args: str) -> Child:
    """`python -m <package>.<module> args...`, its stdout read, reaped with its rusage."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", f"{PACKAGE}.{module}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    lines = child.stdout.read().splitlines()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    report = json.loads(lines[-1]) if lines else {"error": "no report"}
    return Child(report, status, time.perf_counter() - started, usage.ru_maxrss / 1024)
