"""Shared fixtures: a small project folder with its own params file, so tests never touch yours."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.config import Params, load_params
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.pipeline import STAGES, run_stage
from {{ cookiecutter.package_name }}.smoke import serving

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TASK = load_params(PROJECT_ROOT / "params.yaml").task
CLASSIFICATION = TASK == "classification"


def write_params(root: Path, **overrides: object) -> Path:
    """Copy the project's params.yaml into `root`, with dotted-key overrides, local MLflow."""
    raw = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["mlflow"]["tracking_uri"] = f"sqlite:///{root / 'mlflow.db'}"
    for dotted, value in overrides.items():
        node = raw
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path = root / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated project root: its own MLflow store and BentoML home."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / ".bentoml"))
    return tmp_path


@pytest.fixture
def project(workdir: Path) -> tuple[Params, Layout]:
    return load_params(write_params(workdir)), Layout(workdir)


@pytest.fixture
def trained(project: tuple[Params, Layout]) -> Iterator[tuple[Params, Layout]]:
    """Stages 1 to 6 done: data extracted, split and passed its gate, model trained and evaluated."""
    params, layout = project
    for stage in ("extract", "analyse", "prepare", "validate_data", "train", "evaluate"):
        run_stage(stage, params, layout)
    yield params, layout


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One whole pipeline run through the CLI, shared by every test that serves its bento."""
    root = tmp_path_factory.mktemp("project")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("BENTOML_HOME", str(root / ".bentoml"))
    write_params(root)
    done = cli("pipeline", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    for stage in STAGES:
        assert f"{stage}: ok" in done.stdout
    yield root
    monkeypatch.undo()


@pytest.fixture(scope="session")
def service(built: Path) -> Iterator[str]:
    """The bento under `bentoml serve` on loopback, logging predictions beside the project."""
    record = json.loads((built / "reports" / "package.json").read_text())
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PREDICTION_LOG", str(built / "prediction-logs" / "predictions.jsonl"))
    with serving(record["bento"]) as url:
        yield url
    monkeypatch.undo()


@pytest.fixture(scope="session")
def rows(built: Path) -> list[dict]:
    test = pd.read_parquet(built / "data" / "prepared" / "test.parquet")
    return json.loads(test.drop(columns=["target"]).head(5).to_json(orient="records"))
