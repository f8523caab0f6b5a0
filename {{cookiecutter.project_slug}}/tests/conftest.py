"""Fixtures every tier shares: a project folder of the suite's own, never the one you work in.

Each test project gets its params from `fixtures/params.yaml` (the template's defaults on the
bundled sample), its own MLflow store, BentoML home and deploy/ state, so the suite passes
whatever this project's params.yaml, data/, deploy/ and MLflow store hold.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import Params, load_params
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.pipeline import run_stage

FIXTURE_PARAMS = Path(__file__).resolve().parent / "fixtures" / "params.yaml"
_FIXTURE = load_params(FIXTURE_PARAMS)
TASK = _FIXTURE.task
CLASSIFICATION = TASK == "classification"
TARGET = _FIXTURE.data.target
# What MLflow's fluent API exports to the environment as it goes (set_tracking_uri,
# set_experiment, start_run): one test's store, experiment or run must not be the next's, nor
# reach the CLI a later test starts.
MLFLOW_SESSION = (
    "MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID",
)  # fmt: skip
# What a developer's shell or a workflow may set that the project reads: none of it leaks in.
PROJECT_ENVIRONMENT = (
    "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "ARTIFACT_STORE", "IMAGE_REPOSITORY", "CONTAINER_ENGINE",
    "PREDICTION_LOG", "BENTOML_HOME", "LOCAL_RELEASES", "GH_TOKEN", "GITHUB_ACTIONS",
    "GITHUB_SHA", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTOR", "GITHUB_RUN_ID",
    *MLFLOW_SESSION,
)  # fmt: skip
for _name in PROJECT_ENVIRONMENT:
    os.environ.pop(_name, None)


@pytest.fixture(autouse=True)
def _no_mlflow_state_between_tests(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no MLflow store, experiment or run of an earlier one.

    set_experiment keeps the experiment's id in a module global as well as the environment, so
    a test on a new store would start its run in an experiment that store lacks. The unit tier
    never imports MLflow: the global is reset only where MLflow is loaded.
    """
    for name in MLFLOW_SESSION:
        monkeypatch.delenv(name, raising=False)
    yield
    for name in MLFLOW_SESSION:
        os.environ.pop(name, None)
    fluent = sys.modules.get("mlflow.tracking.fluent")
    if fluent is not None:
        while fluent.active_run() is not None:
            fluent.end_run("KILLED")
        fluent._active_experiment_id = None  # no public way to forget the active experiment


def write_params(root: Path, **overrides: object) -> Path:
    """The suite's params in `root`, with dotted-key overrides and a local MLflow store."""
    raw = yaml.safe_load(FIXTURE_PARAMS.read_text(encoding="utf-8"))
    raw["mlflow"]["tracking_uri"] = f"sqlite:///{root / 'mlflow.db'}"
    for dotted, value in overrides.items():
        node = raw
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    root.mkdir(parents=True, exist_ok=True)
    path = root / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def fresh_deploy(root: Path) -> Path:
    """A deploy/ folder as a new project has it: overlays for both environments, no history."""
    deploy = root / "deploy"
    for environment in ("staging", "production"):
        overlay = deploy / "overlays" / environment
        overlay.mkdir(parents=True, exist_ok=True)
        (overlay / "kustomization.yaml").write_text(
            yaml.safe_dump({"resources": ["../../base"], "namespace": environment}),
            encoding="utf-8",
        )
        (overlay / "release.json").write_text("{}\n", encoding="utf-8")
    (deploy / "history.jsonl").write_text("", encoding="utf-8")
    return deploy


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated project root: its own MLflow store and BentoML home."""
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / ".bentoml"))
    return tmp_path


@pytest.fixture
def project(workdir: Path) -> tuple[Params, Layout]:
    return load_params(write_params(workdir)), Layout(workdir)


@pytest.fixture
def prepared(project: tuple[Params, Layout]) -> tuple[Params, Layout]:
    """Data extracted and split; no gate has run (the unit tier has no deepchecks)."""
    params, layout = project
    for stage in ("extract", "prepare"):
        run_stage(stage, params, layout)
    return params, layout


def cli(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """The project's CLI in `cwd`, on that folder's params.yaml and MLflow store alone."""
    env = {k: v for k, v in os.environ.items() if k not in MLFLOW_SESSION}
    return subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
