"""How `score` scales: wall time and peak memory on an input of 100k and 1M rows.

A model is trained and registered once in a scratch project (not timed, bench/scratch.py). The
input is the project's own feature rows drawn again with replacement, written as one Parquet
file a part at a time. `score` then runs in a child process, as `make score` does: its time
inside, the process's total (interpreter and imports included), and the peak resident memory
from the kernel, which the chunk size bounds, not the file size.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..config import Params, load_params
from ..layout import Layout
from ..stages.extract import load_source
from .child import run_child
from .scratch import registered_project

PART_ROWS = 50_000


def _write_input(params: Params, layout: Layout, root: Path, rows: int) -> Path:
    source = load_source(params.data, layout.root)
    features = source.drop(columns=[params.data.target, *params.data.drop], errors="ignore")
    path = root / f"input-{rows}.parquet"
    writer = None
    for part, start in enumerate(range(0, rows, PART_ROWS), start=1):
        count = min(PART_ROWS, rows - start)
        drawn = features.sample(count, replace=True, random_state=params.split.seed + part)
        table = pa.Table.from_pandas(drawn.reset_index(drop=True), preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()
    return path


def measure(params: Params, layout: Layout, sizes: tuple[int, ...], chunk: int) -> dict[int, dict]:
    with tempfile.TemporaryDirectory(prefix="bench-score-") as scratch:
        root = Path(scratch)
        registered_project(params, root)
        results = {}
        for rows in sizes:
            source = _write_input(params, layout, root, rows)
            child = run_child("bench.score", str(root / "params.yaml"), str(source), str(chunk))
            results[rows] = {
                **child.report,
                "total_s": round(child.total_s, 1),
                "peak_mib": round(child.peak_mib),
            }
        return results


def table(results: dict[int, dict], chunk: int) -> str:
    lines = [
        f"score scale ({chunk:,} rows a chunk)",
        "",
        "| rows | score s | rows/s | total s | peak MiB | result |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for rows, run in results.items():
        result = "scored" if "score_s" in run else f"FAILED: {run.get('error')}"
        seconds = run.get("score_s", "-")
        rate = f"{rows / seconds:,.0f}" if isinstance(seconds, int | float) and seconds else "-"
        lines.append(
            f"| {rows:,} | {seconds} | {rate} | {run['total_s']} | {run['peak_mib']:,} | {result} |"
        )
    return "\n".join(lines)


def main() -> None:
    """The child: one `score` of the input, then one JSON line with its time and row count."""
    from ..batch import score
    from ..errors import PipelineError

    params_path, source, chunk = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    params = load_params(params_path)
    layout = Layout(params_path.resolve().parent)
    started = time.perf_counter()
    try:
        out = source.with_name(f"scored-{source.name}")
        log = layout.root / "log" / "predictions.parquet"
        found = score.run(params, layout, source, out, chunk_rows=chunk, log=log)
        report = {"rows": found["rows"], "score_s": round(time.perf_counter() - started, 1)}
    except PipelineError as error:
        report = {"error": str(error).splitlines()[0]}
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
