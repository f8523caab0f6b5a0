"""How the data gate scales: wall time and peak memory of extract, prepare and validate_data on
synthetic rows shaped like the project's data, each stage in its own process as `make` runs it.

Rows are drawn from the configured data with replacement and every number is nudged by 1% of
its column's spread, so the copies are not duplicates (which the gate would rightly refuse).
deepchecks sees at most `validation.max_rows` of them; the contract sees all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..config import Params
from ..gates.contract import infer_contract
from ..layout import Layout, write_json
from ..serving.names import PACKAGE
from ..stages.extract import load_source

STAGES = ("extract", "prepare", "validate_data")


@dataclass(frozen=True)
class Measure:
    stage: str
    seconds: float
    peak_mib: float
    ok: bool


def synthesize(frame: pd.DataFrame, rows: int, target: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    drawn = frame.iloc[rng.integers(0, len(frame), rows)].reset_index(drop=True)
    for column in drawn.columns:
        if column != target and pd.api.types.is_float_dtype(drawn[column]):
            spread = float(frame[column].std() or 1.0)
            drawn[column] = drawn[column] + rng.normal(0, 0.01 * spread, rows)
    return drawn


def run_stage(root: Path, stage: str) -> Measure:
    """One stage as a child process; its own peak resident memory, from the kernel."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", PACKAGE, stage, "--params", str(root / "params.yaml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return Measure(stage, time.perf_counter() - started, usage.ru_maxrss / 1024, status == 0)


def measure(params: Params, layout: Layout, rows: int) -> list[Measure]:
    source = load_source(params.data, layout.root)
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as scratch:
        root = Path(scratch)
        frame = synthesize(source, rows, params.data.target, params.split.seed)
        frame.to_parquet(root / "data.parquet", index=False)
        write_json(
            root / "contract.json",
            infer_contract(frame, params.data.target, params.data.categorical),
        )
        raw = params.model_dump(mode="json")
        raw["data"]["source"] = "data.parquet"
        raw["validation"]["contract"] = "contract.json"
        raw["mlflow"]["tracking_uri"] = f"sqlite:///{root / 'mlflow.db'}"
        (root / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
        return [run_stage(root, stage) for stage in STAGES]


def table(results: dict[int, list[Measure]], max_rows: int) -> str:
    header = " | ".join(f"{stage} s" for stage in STAGES)
    lines = [
        f"Data gate scale (deepchecks samples at most {max_rows:,} rows; contract on all rows)",
        "",
        f"| rows | {header} | total s | peak MiB | gate |",
        "|---:|" + "---:|" * (len(STAGES) + 2) + "---|",
    ]
    for rows, measures in results.items():
        total = sum(m.seconds for m in measures)
        peak = max(m.peak_mib for m in measures)
        verdict = "passed" if all(m.ok for m in measures) else "FAILED"
        cells = " | ".join(f"{m.seconds:.1f}" for m in measures)
        lines.append(f"| {rows:,} | {cells} | {total:.1f} | {peak:,.0f} | {verdict} |")
    return "\n".join(lines)
