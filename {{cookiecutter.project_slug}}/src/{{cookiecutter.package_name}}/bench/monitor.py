"""How `monitor` scales: wall time and peak memory on a prediction log of 100k and 1M rows.

A model is trained and registered once in a scratch project (not timed); traffic is the
project's own rows drawn again with replacement (whole rows, unjittered: jitter turns a 0/1 code
stored as float into a continuum, which drift checks rightly flag), scored by the model and
written as the service writes its log (Parquet parts of 50,000 rows, serving/log_rows.py). `monitor` then runs in a
child process, as `make monitor` does: its time inside, the process's total (interpreter and
imports included), and the peak resident memory from the kernel.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import joblib
import pandas as pd

from ..config import Params, load_params
from ..layout import Layout
from ..serving.log_rows import write_part
from ..serving.prediction_log import PARQUET_ROWS_PER_FILE
from ..stages.extract import load_source
from .child import run_child
from .scratch import registered_project


def _write_log(params: Params, root: Path, source: pd.DataFrame, rows: int) -> Path:
    model = joblib.load(Layout(root).model)
    path = root / f"log-{rows}" / "predictions.parquet"
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    for part, start in enumerate(range(0, rows, PARQUET_ROWS_PER_FILE), start=1):
        count = min(PARQUET_ROWS_PER_FILE, rows - start)
        drawn = source.sample(count, replace=True, random_state=params.split.seed + part)
        features = drawn.drop(columns=[params.data.target]).reset_index(drop=True)
        table = pd.DataFrame({"at": at, "model_version": "1"}, index=range(count))
        table = pd.concat([table, features.add_prefix("inputs.")], axis=1)
        table["output.prediction"] = model.predict(features)
        write_part(path, table, "bench", part)
    return path


def _run(root: Path, log: Path) -> dict[str, object]:
    child = run_child("bench.monitor", str(root / "params.yaml"), str(log))
    return {**child.report, "total_s": round(child.total_s, 1), "peak_mib": round(child.peak_mib)}


def measure(params: Params, layout: Layout, sizes: tuple[int, ...]) -> dict[int, dict]:
    source = load_source(params.data, layout.root)
    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as scratch:
        root = Path(scratch)
        scratch_params = registered_project(params, root)
        results = {}
        for rows in sizes:
            log = _write_log(scratch_params, root, source, rows)
            results[rows] = _run(root, log)
        return results


def table(results: dict[int, dict], max_rows: int) -> str:
    lines = [
        f"monitor scale (deepchecks samples at most {max_rows:,} rows of each side)",
        "",
        "| rows | monitor s | total s | peak MiB | verdict |",
        "|---:|---:|---:|---:|---|",
    ]
    for rows, run in results.items():
        verdict = run.get("status") or f"FAILED: {run.get('error')}"
        seconds = run.get("monitor_s", "-")
        lines.append(
            f"| {rows:,} | {seconds} | {run['total_s']} | {run['peak_mib']:,} | {verdict} |"
        )
    return "\n".join(lines)


def main() -> None:
    """The child: one `monitor` on the log, then one JSON line with its time and verdict."""
    from ..errors import PipelineError
    from ..monitoring import monitor

    params_path, log = Path(sys.argv[1]), Path(sys.argv[2])
    params = load_params(params_path)
    started = time.perf_counter()
    try:
        found = monitor.run(params, Layout(params_path.resolve().parent), log=log)
        report = {"status": found["status"], "monitor_s": round(time.perf_counter() - started, 1)}
    except PipelineError as error:
        report = {"error": str(error).splitlines()[0]}
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
