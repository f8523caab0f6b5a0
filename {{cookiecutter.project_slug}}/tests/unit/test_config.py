from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.tracking import (
    shown_tracking_uri,
)

from ..conftest import FIXTURE_PARAMS, write_params


def test_the_default_params_are_valid() -> None:
    params = load_params(FIXTURE_PARAMS)
    assert params.task in {"classification", "regression"}
    assert params.registry.alias == "challenger"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"split.test_size": 1.5}, "split.test_size"),
        ({"model.estimator": "deep_magic"}, "model.estimator"),
        ({"task": "clustering"}, "task"),
        ({"validation.data_integrity.max_missing_ratio": 2}, "max_missing_ratio"),
        ({"validation.model.minimums": {"not_a_metric": 1}}, "minimums"),
        ({"data.unknown_key": 1}, "data.unknown_key"),
        ({"serving.port": 70000}, "serving.port"),
    ],
)
def test_bad_values_name_their_key(tmp_path: Path, override: dict, message: str) -> None:
    path = write_params(tmp_path, **override)
    with pytest.raises(PipelineError, match=message):
        load_params(path)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="not found"):
        load_params(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("task: [unclosed", encoding="utf-8")
    with pytest.raises(PipelineError, match="not valid YAML"):
        load_params(broken)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text", encoding="utf-8")
    with pytest.raises(PipelineError, match="mapping"):
        load_params(scalar)


def test_environment_overrides_tracking_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = load_params(write_params(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert params.mlflow.resolved_tracking_uri() == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    "uri",
    [
        "https://alice:S3cretPW@mlflow.example.com",
        "http://S3cretPW@127.0.0.1:5000",
        "https://:S3cretPW@host/mlflow",
        "databricks://token:S3cretPW@workspace",
    ],
)
def test_credentials_in_the_tracking_uri_are_refused_or_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uri: str
) -> None:
    """params.yaml is committed: refused there, unechoed; from the environment (a CI secret)
    the URI works, and what messages and records show of it has no password."""
    with pytest.raises(PipelineError, match="credentials") as refused:
        load_params(write_params(tmp_path, **{"mlflow.tracking_uri": uri}))
    assert "S3cretPW" not in str(refused.value)
    params = load_params(write_params(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert params.mlflow.resolved_tracking_uri(tmp_path) == uri
    shown = shown_tracking_uri(params, tmp_path)
    assert "S3cretPW" not in shown and shown.endswith(uri.rsplit("@", 1)[1])


def test_relative_sqlite_uri_resolves_from_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    path = write_params(tmp_path, **{"mlflow.tracking_uri": "sqlite:///store/mlflow.db"})
    params = load_params(path)
    monkeypatch.chdir(tmp_path.parent)
    assert params.mlflow.resolved_tracking_uri(tmp_path) == f"sqlite:///{tmp_path}/store/mlflow.db"


@pytest.mark.parametrize(
    "repository",
    [
        "ghcr.io/Org/name",
        "ghcr.io/org/name:v1",
        "ghcr.io/org/name@sha256:00",
        "name",
        "a b/c",
        "team/model",
        "ghcr.io",
    ],
)
def test_a_bad_image_repository_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repository: str
) -> None:
    params = load_params(write_params(tmp_path))
    monkeypatch.setenv("IMAGE_REPOSITORY", repository)
    with pytest.raises(PipelineError, match=r"IMAGE_REPOSITORY=.* is not an image repository"):
        params.release.resolved_image()
    with pytest.raises(PipelineError, match=r"release\.image"):
        load_params(write_params(tmp_path, **{"release.image": repository}))


def test_image_repository_override_and_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = load_params(write_params(tmp_path))
    monkeypatch.setenv("IMAGE_REPOSITORY", "127.0.0.1:5000/team/my__model-x")
    assert params.release.resolved_image() == "127.0.0.1:5000/team/my__model-x"
    assert params.release.registry() == "127.0.0.1:5000"


@pytest.mark.parametrize("window", ["36501d", "800000d", "99999999999d", "9" * 40 + "s"])
def test_a_window_longer_than_any_log_is_refused_in_one_line(window: str, tmp_path: Path) -> None:
    from {{ cookiecutter.package_name }}.thresholds import duration

    with pytest.raises(ValueError, match="longer than 100 years"):
        duration(window)
    with pytest.raises(PipelineError, match=r"monitoring\.window.*longer than 100 years"):
        load_params(write_params(tmp_path, **{"monitoring.window": window}))
    assert duration("36500d").days == 36_500
