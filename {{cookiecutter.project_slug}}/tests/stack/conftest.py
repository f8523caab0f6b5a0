"""One tracking stack for the whole tier: PostgreSQL, the object store and `mlflow server`
(ci/tracking_stack.py), started once per session, since the server alone takes half a minute
or more here. Each test gets its own registered model and experiment on it, so tests share the
servers and nothing else; the fault tests stop and restart parts, so the tier runs on one
worker (`make test-stack`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fresh_deploy, write_params

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ci"))
from tracking_stack import Stack, StackError, tracking_stack  # noqa: E402

# A down server must fail in seconds here, not after MLflow's minutes of retries.
FAST_FAILURE = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "20"}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    try:
        with tracking_stack(tmp_path_factory.mktemp("tracking-stack")) as running:
            started = ", ".join(f"{name} {s} s" for name, s in running.started_s.items())
            print(f"\ntracking stack up: {started}")
            yield running
    except StackError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no tracking stack here: {exc}")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Stack Test", "-c", "user.email=stack@example.com", *args],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def stack_project(root: Path, stack: Stack, name: str, **overrides: object) -> Path:
    """A project folder of its own in git, with a bare origin, on the stack under `name`."""
    origin = root.parent / f"{root.name}-origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    write_params(
        root, **{"mlflow.tracking_uri": stack.server.url, "mlflow.experiment": name,
                 "registry.model_name": name, **overrides},
    )  # fmt: skip
    fresh_deploy(root)
    shutil.copyfile(ROOT / ".gitignore", root / ".gitignore")
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", str(origin))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a project on the tracking stack")
    git(root, "push", "-q", "origin", "main")
    return root


CLI = (sys.executable, "-m", "{{ cookiecutter.package_name }}")


def cli_env(root: Path, **extra: str) -> dict[str, str]:
    """The CLI's environment in `root`: its own params, stores and artifact folder."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "PREDICTION_LOG"}
    }
    environment.update(
        BENTOML_HOME=str(root / ".bentoml"), ARTIFACT_STORE=str(root / ".artifacts"),
        CONTAINER_ENGINE="none", PREDICTION_LOG=str(root / "prediction-logs"), **extra,
    )  # fmt: skip
    return environment


def run(root: Path, *args: str, timeout: float = 900, **extra: str):
    """The project's CLI in `root`, waited for."""
    return subprocess.run(
        [*CLI, *args], cwd=root, env=cli_env(root, **extra), capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
