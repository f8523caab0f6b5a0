"""The end-to-end tier: the whole pipeline through the CLI, the bento under `bentoml serve`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.serving.process import serving
from {{ cookiecutter.package_name }}.stages import STAGES

from ..conftest import TARGET, cli, write_params


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests of the one served bento share a worker (`--dist loadgroup`): it is built once."""
    for item in items:
        if {"built", "service", "rows"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("served"))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One whole pipeline run through the CLI, shared by every test that serves its bento."""
    root = tmp_path_factory.mktemp("project")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("BENTOML_HOME", str(root / ".bentoml"))
    write_params(root)
    done = cli("pipeline", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    for stage in STAGES:
        assert f"{stage}: ok" in done.stdout
    (root / "pipeline.out").write_text(done.stdout, encoding="utf-8")
    (root / "pipeline.err").write_text(done.stderr, encoding="utf-8")
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
    return json.loads(test.drop(columns=[TARGET]).head(5).to_json(orient="records"))
