"""Where each stage reads and writes, relative to the project root (the params file's folder)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PipelineError


@dataclass(frozen=True)
class Layout:
    root: Path

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
    def package_record(self) -> Path:
        return self.reports / "package.json"


def write_json(path: Path, payload: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    return path


def require(path: Path, produced_by: str) -> Path:
    """Return an earlier stage's output, telling the user which stage to run when it is missing."""
    if not path.exists():
        raise PipelineError(f"{path} is missing: run the '{produced_by}' stage first")
    return path


def read_json(path: Path, produced_by: str) -> Any:
    return json.loads(require(path, produced_by).read_text(encoding="utf-8"))
