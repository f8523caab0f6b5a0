"""The check where a release runs, without a server: where it goes, what refuses it, how its
answer is recorded, and production refusing a staging build that did not answer there."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError

# Trailing commas keep these imports split, so ruff formats them the same for any package name.
from {{ cookiecutter.package_name }}.config import (
    ReleaseConfig,
)
from {{ cookiecutter.package_name }}.errors import (
    PipelineError,
)
from {{ cookiecutter.package_name }}.release import (
    deployed,
)
from {{ cookiecutter.package_name }}.release.artifacts import (
    ArtifactStore,
)
from {{ cookiecutter.package_name }}.release.deployed import (
    check_where_deployed,
)
from {{ cookiecutter.package_name }}.release.promote import (
    promote_to_production,
)
from {{ cookiecutter.package_name }}.release.records import (
    DeployState,
    ReleaseRecord,
)
from {{ cookiecutter.package_name }}.release.rules import (
    answered_where_deployed,
    staged_build,
)
from {{ cookiecutter.package_name }}.release.versions import (
    ReleaseError,
)

from ..conftest import fresh_deploy

COMMIT = "c" * 40
IMAGE_DIGEST = "sha256:" + "e" * 64
ROWS = [{"size": 1.0}]
DEAD = "http://127.0.0.1:9"  # the discard port: nothing answers
URL = "https://model.staging.example.com"
CONTEXT = {"at": "2026-12-06T00:00:00+00:00", "actor": "release-manager", "run_url": ""}


def record(**changes: object) -> ReleaseRecord:
    base = ReleaseRecord(
        environment="staging", version="v1.0.0-rc.1", commit=COMMIT, model_name="model",
        model_version=3, bento="svc:abc", image="registry.example/org/svc",
        digest="sha256:" + "b" * 64, gates_passed=True, smoke_test="3 predictions",
        image_digest=IMAGE_DIGEST,
    )  # fmt: skip
    return replace(base, **changes)


def rows() -> list[dict]:
    return ROWS


@pytest.fixture
def state(tmp_path: Path) -> DeployState:
    return DeployState(fresh_deploy(tmp_path))


def release_config(**urls: object) -> ReleaseConfig:
    return ReleaseConfig(image="registry.example/org/svc", **urls)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("staging.example.com", "no http(s) address"),
        ("ftp://staging.example.com", "no http(s) address"),
        ("http://", "no http(s) address"),
        ("javascript:alert(1)", "no http(s) address"),
        ("http://exa mple.com", "no http(s) address"),
        ("http://host:abc", "is no address"),
        ("http://[::1", "is no address"),
        ("http://a..b", "is no address"),
        ("https://user:secret@host", "holds credentials"),
        ("https://host/?next=evil", "no query or fragment"),
        ("https://host/#top", "no query or fragment"),
    ],
)
def test_a_service_url_that_is_no_plain_http_address_is_refused_on_load(
    raw: str, says: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        release_config(staging_url=raw)
    (error,) = refused.value.errors()
    assert error["loc"] == ("staging_url",) and says in error["msg"]
    assert "secret" not in error["msg"]  # what load_params prints of it


def test_service_urls_keep_their_path_and_must_name_two_services() -> None:
    config = release_config(staging_url=" https://models.example.com/staging/ ")
    assert config.url("staging") == "https://models.example.com/staging"
    assert config.url("production") == ""
    with pytest.raises(ValueError, match="name the same service"):
        release_config(staging_url=URL, production_url=URL + "/")


@pytest.mark.parametrize("wait", [0, -5, 901, "soon"])
def test_a_wait_beyond_the_jobs_time_limits_is_refused_on_load(wait: object) -> None:
    with pytest.raises(ValueError, match="deploy_wait_seconds"):
        release_config(deploy_wait_seconds=wait)


def test_a_service_that_never_answers_fails_the_check_naming_what_it_saw(
    state: DeployState,
) -> None:
    check = check_where_deployed(record(), state.root, rows, DEAD, 1.0)
    assert (check["target"], check["passed"]) == (DEAD, False)
    assert "did not serve v1.0.0-rc.1 (commit cccccccccccc, model version 3)" in check["answer"]
    assert "within 1s; last seen: URLError" in check["answer"]


@pytest.mark.parametrize(
    "failure",
    [PipelineError("MLflow at http://mlflow.example.com is unreachable"),
     RuntimeError("RESOURCE_DOES_NOT_EXIST: no model version 3"), KeyError("columns")],
    ids=["named", "an MLflow error", "anything else"],
)  # fmt: skip
def test_a_check_that_breaks_in_any_way_is_a_failed_check_not_a_crash(
    state: DeployState, failure: Exception
) -> None:
    """The deploy commit is in Git already: whatever breaks, the check's failure is recorded."""

    def broken() -> list[dict]:
        raise failure

    check = check_where_deployed(record(), state.root, broken, URL, 1.0)
    assert check["passed"] is False and check["target"] == URL
    assert str(failure).strip("'") in check["answer"]


def test_without_an_image_or_url_nothing_runs_the_overlay_and_that_is_said(
    state: DeployState,
) -> None:
    check = check_where_deployed(record(image_digest=None), state.root, rows, "", 1.0)
    assert check == {**check, "target": "", "passed": None, "answer": deployed.NOTHING_RUNS_IT}
    assert answered_where_deployed(record(image_digest=None, deployed_check=check), "")


def test_an_image_without_url_or_podman_fails_naming_both_ways(
    monkeypatch: pytest.MonkeyPatch, state: DeployState
) -> None:
    monkeypatch.setenv("CONTAINER_ENGINE", "none")
    check = check_where_deployed(record(), state.root, rows, "", 1.0)
    assert check["passed"] is False
    assert check["target"] == "podman kube play of deploy/overlays/staging"
    assert "set release.staging_url in params.yaml" in check["answer"]
    assert "make release-verify ENV=staging" in check["answer"]


def test_podman_is_the_local_player_unless_the_engine_is_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deployed, "answers", lambda engine: engine == "podman")
    for setting, player in [("", "podman"), ("docker", "podman"), ("none", None)]:
        monkeypatch.setenv("CONTAINER_ENGINE", setting)
        assert deployed.local_player() == player
    monkeypatch.setattr(deployed, "answers", lambda engine: False)
    monkeypatch.setenv("CONTAINER_ENGINE", "podman")
    assert deployed.local_player() is None


PASSED_AT_URL = {"target": URL, "passed": True, "answer": "3 predictions"}
PASSED_IN_PODMAN = {"target": "podman kube play of deploy/overlays/staging", "passed": True}
FAILED = {"target": URL, "passed": False, "answer": "timed out"}
NOTHING = {"target": "", "passed": None, "answer": deployed.NOTHING_RUNS_IT}


@pytest.mark.parametrize(
    ("image", "check", "url", "answered"),
    [
        (IMAGE_DIGEST, PASSED_AT_URL, URL, True),
        (IMAGE_DIGEST, PASSED_IN_PODMAN, "", True),
        (IMAGE_DIGEST, PASSED_IN_PODMAN, URL, False),  # a laptop's podman is not the cluster
        (None, NOTHING, URL, False),  # the URL was set: it had to answer, image or not
        (IMAGE_DIGEST, FAILED, URL, False),
        (IMAGE_DIGEST, {}, "", False),  # never checked
        (IMAGE_DIGEST, NOTHING, "", False),  # an image, yet nothing ran it
        (None, NOTHING, "", True),  # no image, no URL: nothing to ask
        (None, {}, "", True),
    ],
)
def test_what_counts_as_answered_where_deployed(
    image: str | None, check: dict, url: str, answered: bool
) -> None:
    assert (
        answered_where_deployed(record(image_digest=image, deployed_check=check), url) is answered
    )


def test_the_check_is_recorded_beside_the_release_and_as_a_short_history_entry(
    state: DeployState,
) -> None:
    staged = record()
    state.apply(staged)
    state.record_check(replace(staged, deployed_check=PASSED_AT_URL), CONTEXT)
    assert state.current("staging").deployed_check == PASSED_AT_URL
    assert [entry.version for entry in state.history()] == ["v1.0.0-rc.1"]  # releases only
    last = json.loads(state.history_path.read_text().splitlines()[-1])
    assert last == {
        "action": "verify", "environment": "staging", "version": "v1.0.0-rc.1",
        "deployed_digest": IMAGE_DIGEST, "deployed_check": PASSED_AT_URL, **CONTEXT,
    }  # fmt: skip


def test_a_check_of_a_release_the_environment_no_longer_runs_is_not_recorded(
    state: DeployState,
) -> None:
    state.apply(record())
    state.apply(record(version="v1.0.0-rc.2", digest="sha256:" + "d" * 64))
    before = state.history_path.read_text()
    with pytest.raises(ReleaseError, match=r"staging no longer runs v1\.0\.0-rc\.1"):
        state.record_check(record(deployed_check=PASSED_AT_URL), CONTEXT)
    assert state.history_path.read_text() == before


@pytest.mark.parametrize("forged", [None, "passed", [1], {"passed": "false"}, {"passed": 1}])
def test_a_malformed_check_in_a_record_is_named_not_trusted(
    state: DeployState, forged: object
) -> None:
    state.apply(record())
    path = state.record_path("staging")
    path.write_text(json.dumps({**json.loads(path.read_text()), "deployed_check": forged}))
    with pytest.raises(
        ReleaseError, match=r"release\.json is not a release record \(deployed_check"
    ):
        staged_build(state, "v1.0.0", COMMIT, staging_url="")


@pytest.mark.parametrize(
    ("check", "url", "says"),
    [
        ({}, "", r"has not answered where staging runs it \(never checked\)"),
        (FAILED, URL, rf"at {URL} \(timed out\)"),
        (PASSED_IN_PODMAN, URL, rf"at {URL} \(checked by podman kube play of deploy/overlays/"),
    ],
)
def test_production_refuses_a_staged_build_that_did_not_answer_where_staging_runs(
    state: DeployState, check: dict, url: str, says: str
) -> None:
    state.apply(record(deployed_check=check))
    with pytest.raises(ReleaseError, match=says) as refused:
        staged_build(state, "v1.0.0", COMMIT, staging_url=url)
    assert "make release-verify ENV=staging" in str(refused.value)


def test_production_takes_a_staged_build_that_answered_and_starts_its_own_check(
    state: DeployState, tmp_path: Path
) -> None:
    state.apply(record(deployed_check=PASSED_AT_URL))
    assert staged_build(state, "v1.0.0", COMMIT, staging_url=URL).deployed_check == PASSED_AT_URL
    archive = tmp_path / "bento.bento"
    archive.write_bytes(b"the build")
    store = ArtifactStore(tmp_path / "store")
    state.apply(record(version="v1.0.0-rc.2", image_digest=None, digest=store.push(archive),
                       deployed_check=NOTHING))  # fmt: skip
    promoted, _ = promote_to_production("v1.0.0", state, store, COMMIT, staging_url="")
    assert promoted.version == "v1.0.0" and promoted.deployed_check == {}
