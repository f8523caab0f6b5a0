"""The pipeline tier: stages with their deepchecks gates and a real MLflow store (SQLite)."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import Params, load_params
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.pipeline import run_stage

from ..conftest import write_params

TO_REGISTER = ("extract", "analyse", "prepare", "validate_data", "train", "evaluate",
               "validate_model", "register")  # fmt: skip


@pytest.fixture
def trained(project: tuple[Params, Layout]) -> tuple[Params, Layout]:
    """Data extracted, split and passed its gate; model trained and evaluated."""
    params, layout = project
    for stage in ("extract", "analyse", "prepare", "validate_data", "train", "evaluate"):
        run_stage(stage, params, layout)
    return params, layout


@pytest.fixture(scope="session")
def registered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A store whose @production model, version 1, was trained on the sample; the sample.

    Built once per test process and shared: tests may add runs and versions under aliases of
    their own, never move @production or change version 1."""
    root = tmp_path_factory.mktemp("registered")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    params, layout = load_params(write_params(root)), Layout(root)
    for stage in TO_REGISTER:
        result = run_stage(stage, params, layout)
        if stage == "validate_data":
            (first,) = [c for c in result.checks if c.suite == "Reference Drift"]
            assert first.status == "not run" and "no @production model yet" in first.details
    client = mlflow.MlflowClient(f"sqlite:///{root / 'mlflow.db'}")
    client.set_registered_model_alias(params.registry.model_name, "production", "1")
    frame = pd.read_parquet(layout.raw_data)
    monkeypatch.undo()
    return root, frame
