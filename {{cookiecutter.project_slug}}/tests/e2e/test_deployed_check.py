"""The check where a release runs, against the served bento as the environment's URL, with the
rows a production job has: the registered model version's input example."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.release.deployed import check_where_deployed
from {{ cookiecutter.package_name }}.release.records import ReleaseRecord
from {{ cookiecutter.package_name }}.tracking import input_example


@pytest.fixture
def released(built: Path) -> ReleaseRecord:
    """The record a staging release of the served bento would commit."""
    registration = json.loads((built / "reports" / "registration.json").read_text())
    package = json.loads((built / "reports" / "package.json").read_text())
    return ReleaseRecord(
        environment="staging", version="v1.0.0-rc.1", commit=registration["git.commit"],
        model_name=registration["model_name"], model_version=int(registration["version"]),
        bento=package["bento"], image="registry.example/org/svc",
        digest="sha256:" + "b" * 64, gates_passed=True, image_digest="sha256:" + "e" * 64,
    )  # fmt: skip


def test_the_served_release_answers_the_check_with_its_input_example(
    service: str, built: Path, released: ReleaseRecord
) -> None:
    rows = input_example(load_params(built / "params.yaml"), built, released.model_version)
    assert rows and all(isinstance(row, dict) for row in rows)
    check = check_where_deployed(released, built / "deploy", lambda: rows, service, 30.0)
    assert check["passed"] is True, check
    assert check["target"] == service
    assert check["answer"] == f"{len(rows)} predictions from model version {released.model_version}"


@pytest.mark.parametrize(
    ("change", "seen"),
    [
        ({"model_version": 999}, "model version {version}"),
        ({"commit": "f" * 40}, "commit {commit}"),
    ],
    ids=["another-model", "another-commit"],
)
def test_a_service_still_serving_something_else_fails_the_check_naming_it(
    service: str, released: ReleaseRecord, change, seen
) -> None:
    """Argo CD has not rolled the release out yet: the check waits, then names what it saw."""
    check = check_where_deployed(replace(released, **change), Path("deploy"), list, service, 2.0)
    assert check["passed"] is False
    expected = seen.format(version=released.model_version, commit=released.commit[:12])
    assert "within 2s; last seen: " in check["answer"] and expected in check["answer"]


def test_a_request_the_service_refuses_fails_the_check(
    service: str, released: ReleaseRecord
) -> None:
    rows = [{"no such column": 1}]
    check = check_where_deployed(released, Path("deploy"), lambda: rows, service, 30.0)
    assert check["passed"] is False and "refused the smoke request" in check["answer"]
