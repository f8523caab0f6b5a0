"""How fast the service answers, against `mlflow models serve` and the model in-process.

One run, one model version, loopback only, load from wrk when it is installed (a C load
generator that leaves the server most of a 2-core machine), else from locust (Python, whose
client work takes a core of its own and shows in every latency it reports):
- bento, single row: one row per request, adaptive batching merging concurrent requests, at
  1 and 2 users, then at the given concurrency;
- bento, batched: BATCH_ROWS rows per JSON request, and FILE_ROWS per Parquet upload;
- mlflow, single row: `mlflow models serve` on the same MLflow model files;
- in-process: the one pass the service makes, no HTTP, with the scorer the service picks for
  that size (scorers.py): on frames as large as the uploads (a forest scores 10,000 rows at
  twice the rate of 1,000), the ceiling; and on one row, with scikit-learn alone beside it
  when the compiled copy takes small batches.
Then a soak: the bento under twice the concurrency, watching errors and the server's memory.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import PipelineError
from ..serving.process import free_port, run_server, serving
from ..serving.scorers import Routed, Scorer, SklearnScorer, stored_compiled
from .load import Load, Result, locust, median_run, multipart

BATCH_ROWS = 100  # rows per batched JSON request
FILE_ROWS = 10_000  # rows per uploaded Parquet file, and per in-process call (the ceiling)
WARMUP_SECONDS = 60  # load before the soak's memory baseline
REPEATS = 3  # runs per single-row target; the median run's figures are reported


def in_process(scorer: Routed, frame: pd.DataFrame, seconds: float = 5.0) -> list[Result]:
    """The ceiling: batched rows/s, and single-row calls/s with their latency, scored as the
    service scores them; then one row with scikit-learn alone, if that is not the same."""
    runs: list[tuple[str, Scorer, pd.DataFrame]] = [
        ("in-process predict", scorer, frame),
        ("in-process predict", scorer, frame.head(1)),
    ]
    if scorer.compiled is not None:
        runs.append(("in-process scikit-learn", scorer.sklearn, frame.head(1)))
    results = []
    for target, score, part in runs:
        times: list[float] = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            score(part)
            times.append(time.perf_counter() - start)
        ordered = sorted(times)
        results.append(Result(
            target=target, rows_per_request=len(part), requests=len(times),
            failures=0, requests_per_s=len(times) / sum(times),
            p50_ms=ordered[len(ordered) // 2] * 1000, p99_ms=ordered[int(len(ordered) * 0.99)] * 1000,
        ))  # fmt: skip
    return results


@contextmanager
def mlflow_serving(model_path: str) -> Iterator[str]:
    """`mlflow models serve` on the same model files the bento holds, in this environment."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("mlflow")), "models", "serve", "-m", model_path,
        "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    scripts = str(Path(sys.executable).parent)  # mlflow starts `uvicorn` from PATH
    env = {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"}
    url = f"http://127.0.0.1:{port}"
    with run_server(command, url, "mlflow models serve", 180, "/ping", env) as served:
        yield served


def server_memory(pid: int) -> int:
    """Resident bytes of a server and all its children (BentoML runs workers as children)."""
    import psutil

    parent = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])


def soak(
    url: str, pid: int, row: dict, users: int, seconds: int, warmup: int = WARMUP_SECONDS,
    load: Load = locust,
) -> dict[str, Any]:  # fmt: skip
    """`users` clients for `seconds`: errors, and the server's memory growth after warm-up.

    Growth is measured from the end of the warm-up: a BentoML server's memory rises under a
    new load level until its buffers and allocator pools fill, then stays flat (an empty
    BentoML service does the same), and only growth beyond that is a leak.
    """
    load(url, "/predict", {"rows": [row]}, users, warmup)
    before = server_memory(pid)
    result = load(url, "/predict", {"rows": [row]}, users, seconds)
    after = server_memory(pid)
    result.target = f"bento soak ({users} users, {seconds} s)"
    return {"result": asdict(result), "warmup_s": warmup, "memory_before_mib": before / 2**20,
            "memory_after_mib": after / 2**20, "memory_growth": after / before - 1}  # fmt: skip


def run(
    bento: str, bento_model: str, test: pd.DataFrame, users: int, seconds: int, soak_seconds: int,
    load: Load = locust, repeats: int = REPEATS,
) -> dict[str, Any]:  # fmt: skip
    import bentoml
    import mlflow.sklearn

    stored = bentoml.models.get(bento_model)
    model_path = stored.path_of("mlflow_model")
    sklearn = SklearnScorer(mlflow.sklearn.load_model(model_path))
    scorer = Routed(sklearn, stored_compiled(stored, sklearn))
    test = test.sample(max(len(test), FILE_ROWS), replace=len(test) < FILE_ROWS, random_state=0)
    rows = json.loads(test.head(BATCH_ROWS).to_json(orient="records"))
    results = in_process(scorer, test.head(FILE_ROWS))
    with serving(bento) as url:
        pid = server_pid(url)
        # Single rows at rising concurrency, before any batch: BentoML's batcher learns how long
        # to hold requests from the waits it saw, and keeps waiting long after heavier traffic.
        load(url, "/predict", {"rows": rows[:1]}, 1, 3)  # warm-up
        for count in sorted({1, 2, users}):
            result = median_run(load, url, {"rows": rows[:1]}, count, seconds, repeats)
            result.target = "bento, single row" + (
                "" if count == users else f", {count} user{'s' if count > 1 else ''}"
            )
            results.append(result)
        load(url, "/predict", {"rows": rows}, users, 3)  # warm-up
        result = load(url, "/predict", {"rows": rows}, users, seconds)
        result.target = "bento, batched"
        results.append(result)
        sink = io.BytesIO()
        test.head(FILE_ROWS).to_parquet(sink)
        upload, content_type = multipart("rows.parquet", sink.getvalue())
        load(url, "/predict_file", upload, users, 3, FILE_ROWS, content_type)  # warm-up
        result = load(url, "/predict_file", upload, users, seconds, FILE_ROWS, content_type)
        result.target = "bento, Parquet file"
        results.append(result)
        soaked = (
            soak(url, pid, rows[0], users * 2, soak_seconds, load=load) if soak_seconds else None
        )
    with mlflow_serving(model_path) as url:
        split = json.loads(test.head(1).to_json(orient="split", index=False))
        body = {"dataframe_split": split}
        load(url, "/invocations", body, users, 3)
        result = load(url, "/invocations", body, users, seconds)
        result.target = "mlflow models serve, single row"
        results.append(result)
    return {"users": users, "seconds": seconds, "load_generator": load.__name__, "results": [asdict(r) | {"rows_per_s": r.rows_per_s} for r in results],
            "soak": soaked}  # fmt: skip


def server_pid(url: str) -> int:
    """The process listening on url's port (the server `serving` started)."""
    import psutil

    port = int(url.rsplit(":", 1)[1])
    for connection in psutil.net_connections(kind="tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == "LISTEN":
            return int(connection.pid)
    raise PipelineError(f"no process listens on {url}")


def _runs(result: dict[str, Any]) -> str:
    runs = result.get("p99_runs_ms") or []
    return (
        f" (median of {len(runs)} runs: {', '.join(f'{p:.1f}' for p in runs)})"
        if len(runs) > 1
        else ""
    )


def verdict(ok: bool, *runs: dict[str, Any]) -> str:
    """ "met" only when the figure meets its target and every run behind it was answered in full:
    a figure from failed requests measures the failure, not the service."""
    failed = [r for r in runs if r["failures"] or not r["requests"]]
    if failed:
        names = ", ".join(f"{r['target']}: {r['failures']:,} of {r['requests']:,}" for r in failed)
        return f"NOT met, requests failed ({names})"
    return "met" if ok else "NOT met"


def table(report: dict[str, Any]) -> str:
    by_name = {r["target"]: r for r in report["results"]}
    lines = [
        f"Load: {report['users']} concurrent users from {report.get('load_generator', 'locust')}, "
        f"{report['seconds']} s per target, loopback.",
        "",
        "| target | rows/request | requests | failures | answered/s | rows/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        name = r["target"] + (
            " (batch)" if r["target"].startswith("in-process") and r["rows_per_request"] > 1 else ""
        )
        lines.append(
            f"| {name} | {r['rows_per_request']} | {r['requests']:,} | {r['failures']} | "
            f"{r['requests_per_s']:,.0f} | {r['rows_per_s']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    single, batched = by_name["bento, single row"], by_name["bento, batched"]
    mlflow = by_name["mlflow models serve, single row"]
    ceiling = next(
        r
        for r in report["results"]
        if r["target"] == "in-process predict" and r["rows_per_request"] > 1
    )
    speedup = single["requests_per_s"] / max(mlflow["requests_per_s"], 1e-9)
    batches = [
        batched,
        *([by_name["bento, Parquet file"]] if "bento, Parquet file" in by_name else []),
    ]
    best = max(batches, key=lambda r: r["rows_per_s"])
    share = best["rows_per_s"] / max(ceiling["rows_per_s"], 1e-9)
    fewer = "".join(  # the same at 1 and 2 users
        f"; {r['p99_ms']:.1f} ms at {r['target'].rsplit(', ', 1)[1]}{_runs(r)}"
        for r in report["results"]
        if r["target"].startswith("bento, single row, ")
    )
    lines += [
        "",
        f"- bento single-row throughput is {speedup:.2f}x mlflow's (target at least 2x: {verdict(speedup >= 2, single, mlflow)})",
        f"- bento single-row p99 is {single['p99_ms']:.1f} ms at {report['users']} users (target under 20 ms: {verdict(single['p99_ms'] < 20, single)}){_runs(single)}{fewer}",
        f"- bento batched rows/s ({best['target']}) is {share:.0%} of the in-process ceiling "
        f"(target at least 30%: {verdict(share >= 0.3, ceiling, *batches)})",
    ]
    if report.get("soak"):
        s = report["soak"]
        r = s["result"]
        lines.append(
            f"- soak, {r['target']}: {r['requests']:,} requests, {r['failures']} failures, "
            f"memory after {s['warmup_s']} s warm-up {s['memory_before_mib']:.0f} -> "
            f"{s['memory_after_mib']:.0f} MiB "
            f"({s['memory_growth']:+.1%}; target under +10%: {verdict(s['memory_growth'] < 0.1, r)})"
        )
    return "\n".join(lines)
