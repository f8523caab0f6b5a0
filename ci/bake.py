"""Bake the template and drive the generated project's Makefile: shared by the demo and tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from cookiecutter.main import cookiecutter

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
# The supported answers: cookiecutter.json's choice lists, which the pre-generation hook checks.
ANSWERS = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text("utf-8"))
PYTHON_VERSIONS: tuple[str, ...] = tuple(ANSWERS["python_version"])
TASKS: tuple[str, ...] = tuple(ANSWERS["task"])
# The combination a bake gets without answers (a choice's first): the demo's and the first week's.
DEFAULTS: tuple[str, str] = (PYTHON_VERSIONS[0], TASKS[0])


def find_python(version: str) -> str | None:
    """An interpreter for `version`: the running one, one on PATH, or one pyenv installed.

    pyenv shims are skipped: they fail for versions that are not pyenv's global choice.
    """
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / f"python{version}"
        if candidate.is_file() and "shims" not in candidate.parts:
            return str(candidate)
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for folder in sorted(pyenv.glob(f"{version}.*"), reverse=True):
        candidate = folder / "bin" / f"python{version}"
        if candidate.is_file():
            return str(candidate)
    return None


def bake(output_dir: Path, **answers: Any) -> Path:
    """Generate a project with --no-input and the given answers; returns its folder."""
    output_dir.mkdir(parents=True, exist_ok=True)
    project = cookiecutter(
        str(TEMPLATE_ROOT),
        no_input=True,
        extra_context={key: str(value) for key, value in answers.items()},
        output_dir=str(output_dir),
    )
    return Path(project)


def project_env(python: str | None = None) -> dict[str, str]:
    """The environment a developer would have: no venv of ours leaking into the project's make."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("BENTOML_HOME", None)
    if python:
        env["PYTHON"] = python
    return env


def make(
    project: Path,
    *targets: str,
    python: str | None = None,
    timeout: float = 1800,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `make <targets>` in the project, capturing output (printed by callers on failure)."""
    make_bin = shutil.which("make") or "make"
    return subprocess.run(
        [make_bin, *targets],
        cwd=project,
        env={**project_env(python), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
