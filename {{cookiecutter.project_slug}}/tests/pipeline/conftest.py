"""The pipeline tier: stages with their deepchecks gates and a real MLflow store (SQLite)."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.config import Params
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.pipeline import run_stage


@pytest.fixture
def trained(project: tuple[Params, Layout]) -> tuple[Params, Layout]:
    """Data extracted, split and passed its gate; model trained and evaluated."""
    params, layout = project
    for stage in ("extract", "analyse", "prepare", "validate_data", "train", "evaluate"):
        run_stage(stage, params, layout)
    return params, layout
