"""Where each stage reads and writes, relative to the project root (the params file's folder)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PipelineError


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def data_manifest(self) -> Path:  # committed: the data version (data_versions.py)
        return self.root / "data" / "manifest.json"

    @property
    def raw_data(self) -> Path:
        return self.root / "data" / "raw" / "dataset.parquet"

    @property
    def raw_meta(self) -> Path:
        return self.root / "data" / "raw" / "dataset.json"

    @property
    def train_data(self) -> Path:
        return self.root / "data" / "prepared" / "train.parquet"

    @property
    def test_data(self) -> Path:
        return self.root / "data" / "prepared" / "test.parquet"

    @property
    def model(self) -> Path:
        return self.root / "artifacts" / "model.joblib"

    @property
    def feature_schema(self) -> Path:
        return self.root / "artifacts" / "feature_schema.json"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def profile(self) -> Path:
        return self.reports / "profile.json"

    @property
    def metrics(self) -> Path:
        return self.reports / "metrics.json"

    @property
    def deepchecks(self) -> Path:
        return self.reports / "deepchecks"

    @property
    def gates(self) -> Path:
        return self.reports / "gates.json"

    @property
    def champion(self) -> Path:
        return self.reports / "champion.json"

    @property
    def registration(self) -> Path:
        return self.reports / "registration.json"

    @property
    def monitoring(self) -> Path:  # `monitor`: monitor.json, monitor.md
        return self.reports / "monitoring"

    @property
    def package_record(self) -> Path:
        return self.reports / "package.json"


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A scratch path beside `path` that takes its name only once whole: a reader (or a run
    killed midway) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        yield scratch
        scratch.replace(path)
    finally:
        scratch.unlink(missing_ok=True)


def write_json(path: Path, payload: Any) -> Path:
    text = json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"
    with atomic_output(path) as scratch:
        scratch.write_text(text, encoding="utf-8")
    return path


def require(path: Path, produced_by: str) -> Path:
    """Return an earlier stage's output, telling the user which stage to run when it is missing."""
    if not path.exists():
        raise PipelineError(f"{path} is missing: run the '{produced_by}' stage first")
    return path


def read_json(path: Path, produced_by: str) -> Any:
    return json.loads(require(path, produced_by).read_text(encoding="utf-8"))
