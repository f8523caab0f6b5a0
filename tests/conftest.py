"""Shared fixtures for the template's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def template_root() -> Path:
    """Root of the cookiecutter template: the folder holding cookiecutter.json."""
    return TEMPLATE_ROOT


# The longest groups (marked `long`) are handed out first, one per worker, so none of them waits
# behind another; xdist hands out groups in collection order (with --no-loadscope-reorder).
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable sort
