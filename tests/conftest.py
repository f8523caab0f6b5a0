"""Shared fixtures for the template's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def template_root() -> Path:
    """Root of the cookiecutter template: the folder holding cookiecutter.json."""
    return TEMPLATE_ROOT


# The longest scenarios, collected first so each gets a worker at once (xdist hands out groups
# in collection order) while the option combinations' bakes share the other workers.
LONGEST_FIRST = ("own-data", "gitops")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        groups = [mark.args[0] for mark in item.iter_markers("xdist_group") if mark.args]
        return min((LONGEST_FIRST.index(g) for g in groups if g in LONGEST_FIRST), default=99)

    items.sort(key=rank)  # stable: file order within each rank
