"""Shared fixtures for the template's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def template_root() -> Path:
    """Root of the cookiecutter template: the folder holding cookiecutter.json."""
    return TEMPLATE_ROOT
