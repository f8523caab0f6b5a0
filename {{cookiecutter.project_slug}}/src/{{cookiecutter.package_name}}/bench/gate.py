"""How the data gate scales: wall time of extract, prepare and validate_data on synthetic rows
shaped like the project's data, and the peak memory of the process that runs them.

The three stages run in one child process, one after the other, as `make pipeline` runs them:
each stage's time is taken inside it, the peak resident memory is the kernel's for the whole
process, and the start-up (interpreter and imports before the first stage) is its own column.
Rows are drawn from the configured data with replacement and every number is nudged by 1% of
its column's spread, so the copies are not duplicates (which the gate would rightly refuse).
deepchecks sees at most `validation.max_rows` of them; the contract sees all.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..config import Params, load_params
from ..errors import PipelineError
from ..gates.contract import infer_contract
from ..layout import Layout, write_json
from ..pipeline import run_stage
from ..stages.extract import load_source
from .child import run_child

STAGES = ("extract", "prepare", "validate_data")


@dataclass(frozen=True)
class Run:
    """One run of the data gate: seconds per stage that ran, and the process as a whole."""

    stages: dict[str, float]
    total_s: float
    peak_mib: float
    ok: bool
    error: str = ""

    @property
    def startup_s(self) -> float:
        """Interpreter, imports and exit: the process's time outside any stage."""
        return self.total_s - sum(self.stages.values())


def synthesize(frame: pd.DataFrame, rows: int, target: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    drawn = frame.iloc[rng.integers(0, len(frame), rows)].reset_index(drop=True)
    for column in drawn.columns:
        if column != target and pd.api.types.is_float_dtype(drawn[column]):
            spread = float(frame[column].std() or 1.0)
            drawn[column] = drawn[column] + rng.normal(0, 0.01 * spread, rows)
    return drawn


def run_gate(root: Path) -> Run:
    """The three stages in one child process; its peak resident memory, from the kernel."""
    child = run_child("bench.gate", str(root / "params.yaml"))
    report = {"stages": {}, **child.report}
    status, total = child.status, child.total_s
    stages = {name: float(seconds) for name, seconds in report["stages"].items()}
    ok = status == 0 and list(stages) == list(STAGES) and not report.get("error")
    return Run(stages, total, child.peak_mib, ok, report.get("error", ""))


def measure(params: Params, layout: Layout, rows: int) -> Run:
    source = load_source(params.data, layout.root)
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as scratch:
        root = Path(scratch)
        frame = synthesize(source, rows, params.data.target, params.split.seed)
        frame.to_parquet(root / "data.parquet", index=False)
        write_json(
            root / "contract.json",
            infer_contract(frame, params.data.target, params.data.categorical),
        )
        del frame
        raw = params.model_dump(mode="json")
        raw["data"]["source"] = "data.parquet"
        raw["validation"]["contract"] = "contract.json"
        raw["mlflow"]["tracking_uri"] = f"sqlite:///{root / 'mlflow.db'}"
        (root / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
        return run_gate(root)


def table(results: dict[int, Run], max_rows: int) -> str:
    header = " | ".join(f"{stage} s" for stage in STAGES)
    lines = [
        f"Data gate scale (deepchecks samples at most {max_rows:,} rows; contract on all rows)",
        "",
        f"| rows | start-up s | {header} | total s | peak MiB | gate |",
        "|---:|---:|" + "---:|" * (len(STAGES) + 2) + "---|",
    ]
    for rows, run in results.items():
        cells = " | ".join(
            f"{run.stages[stage]:.1f}" if stage in run.stages else "-" for stage in STAGES
        )
        verdict = "passed" if run.ok else f"FAILED: {run.error or 'see the stage'}"
        lines.append(
            f"| {rows:,} | {run.startup_s:.1f} | {cells} | {run.total_s:.1f} "
            f"| {run.peak_mib:,.0f} | {verdict} |"
        )
    return "\n".join(lines)


def main() -> None:
    """The child: run the stages in order, then print one JSON line with each stage's time."""
    arguments = argparse.ArgumentParser()
    arguments.add_argument("params", type=Path)
    params_path = arguments.parse_args().params
    seconds: dict[str, float] = {}
    report: dict[str, object] = {"stages": seconds}
    try:
        params = load_params(params_path)
        layout = Layout(params_path.resolve().parent)
        for stage in STAGES:
            started = time.perf_counter()
            run_stage(stage, params, layout)
            seconds[stage] = round(time.perf_counter() - started, 3)
    except PipelineError as error:
        report["error"] = str(error).splitlines()[0]
    print(json.dumps(report), flush=True)
    sys.exit(1 if "error" in report else 0)


if __name__ == "__main__":
    main()
