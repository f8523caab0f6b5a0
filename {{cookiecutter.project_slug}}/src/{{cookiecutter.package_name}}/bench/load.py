"""Load generators for the serving benchmark: wrk when installed, else locust; one result type."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import PipelineError

# wrk's script: POST one body from a file; at the end, the counts and percentiles as JSON
WRK_SCRIPT = """
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "failures": %d, "p50_us": %f, "p99_us": %f}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Result:
    """One load run. Throughput counts answered requests only (2xx); latency percentiles are
    the generators' over every response, so a run with any failure measures no verdict."""

    target: str
    rows_per_request: int
    requests: int
    failures: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    p99_runs_ms: list[float] = field(default_factory=list)  # each run's, when repeated

    @property
    def rows_per_s(self) -> float:
        return self.requests_per_s * self.rows_per_request


def multipart(name: str, payload: bytes) -> tuple[bytes, str]:
    """A one-file multipart/form-data body (field `file`) and its Content-Type."""
    boundary = "bench-boundary-7d1f"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Load(Protocol):
    """A load generator: `users` clients POSTing `body` to url+path for `seconds`."""

    def __call__(
        self, url: str, path: str, body: Any, users: int, seconds: int, rows: int | None = None,
        content_type: str = "application/json",
    ) -> Result: ...  # fmt: skip


def load_generator(choice: str = "auto") -> Load:
    """wrk if asked for or, by default, if installed; else locust."""
    if choice == "wrk" or (choice == "auto" and shutil.which("wrk")):
        if not shutil.which("wrk"):
            raise PipelineError("wrk is not installed (Debian: apt-get install wrk)")
        return wrk
    if choice not in {"auto", "locust"}:
        raise PipelineError(f"unknown load generator {choice!r}: auto, wrk or locust")
    return locust


def _request_files(scratch: str, path: str, body: Any, content_type: str) -> dict[str, str]:
    """The body in a file, and the environment both generators' scripts read it from."""
    body_file = Path(scratch) / "body"
    body_file.write_bytes(body if isinstance(body, bytes) else json.dumps(body).encode())
    return {**os.environ, "BENCH_PATH": path, "BENCH_BODY": str(body_file),
            "BENCH_CONTENT_TYPE": content_type}  # fmt: skip


def _rows(body: Any, rows: int | None) -> int:
    if rows is not None:
        return rows
    return len(body["rows"]) if "rows" in body else len(body["dataframe_split"]["data"])


def locust(
    url: str, path: str, body: Any, users: int, seconds: int, rows: int | None = None,
    content_type: str = "application/json",
) -> Result:  # fmt: skip
    """Run locust headless against url+path; its CSV summary becomes a Result."""
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        env = _request_files(scratch, path, body, content_type)
        command = [
            str(Path(sys.executable).with_name("locust")), "-f", str(Path(__file__).with_name("locustfile.py")),
            "--headless", "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
            "--host", url, "--csv", f"{scratch}/out", "--only-summary", "--loglevel", "WARNING",
        ]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        stats = Path(f"{scratch}/out_stats.csv")
        if not stats.is_file():
            raise PipelineError(f"locust did not run: {done.stderr[-2000:]}")
        with stats.open(encoding="utf-8") as stream:
            total = next(row for row in csv.DictReader(stream) if row["Name"] == "Aggregated")
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    rate = float(total["Requests/s"])  # every request's, failures included
    return Result(
        target="",
        rows_per_request=_rows(body, rows),
        requests=requests,
        failures=failures,
        requests_per_s=answered_per_s(requests, failures, requests / rate if rate else seconds),
        p50_ms=_ms(total["50%"]),
        p99_ms=_ms(total["99%"]),
    )


def wrk(
    url: str, path: str, body: Any, users: int, seconds: int, rows: int | None = None,
    content_type: str = "application/json",
) -> Result:  # fmt: skip
    """Run wrk (one thread, a connection per user) against url+path; its script prints JSON."""
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        env = _request_files(scratch, path, body, content_type)
        script = Path(scratch) / "post.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        command = ["wrk", "--threads", "1", "--connections", str(users), "--duration",
                   f"{seconds}s", "--timeout", "30s", "--script", str(script), url + path]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith('{"requests"')]
    if done.returncode != 0 or not lines:
        raise PipelineError(f"wrk did not run: {(done.stderr or done.stdout)[-2000:]}")
    total = json.loads(lines[-1])
    completed = total["requests"] > 0
    return Result(
        target="",
        rows_per_request=_rows(body, rows),
        requests=total["requests"],
        failures=total["failures"],
        requests_per_s=answered_per_s(
            total["requests"], total["failures"], total["duration_us"] / 1e6
        ),
        p50_ms=total["p50_us"] / 1000 if completed else math.nan,
        p99_ms=total["p99_us"] / 1000 if completed else math.nan,
    )


def answered_per_s(requests: int, failures: int, seconds: float) -> float:
    """Throughput of the answered requests: a refused or failed one is no work done."""
    return max(requests - failures, 0) / max(seconds, 1e-9)


def _ms(value: str) -> float:
    """A locust percentile; "N/A" when no request completed (a slow server's short warm-up)."""
    return math.nan if value == "N/A" else float(value)


def median_run(load: Load, url: str, body: Any, users: int, seconds: int, repeats: int) -> Result:
    """The run with the median p99 of `repeats` runs: a neighbour's burst on a shared machine
    moves one run's tail, not the median's (every run's p99 stays in the report)."""
    runs = sorted((load(url, "/predict", body, users, seconds) for _ in range(repeats)),
                  key=lambda r: r.p99_ms if not math.isnan(r.p99_ms) else math.inf)  # fmt: skip
    chosen = runs[(len(runs) - 1) // 2]
    chosen.p99_runs_ms = [r.p99_ms for r in runs]  # in the order above
    return chosen
