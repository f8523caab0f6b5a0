"""Promotion rules without a server: tags, state files, the staging-first rule, rollback."""

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

# Trailing commas keep these imports split, so ruff formats them the same for any package name.
from {{ cookiecutter.package_name }}.release.artifacts import (
    ArtifactStore,
    sha256_of,
)
from {{ cookiecutter.package_name }}.release.github import (
    run_context,
)
from {{ cookiecutter.package_name }}.release.gitops import (
    require_on_branch,
)
from {{ cookiecutter.package_name }}.release.images import (
    ImageRepository,
    container_engine,
    engine_setting,
)
from {{ cookiecutter.package_name }}.release.promote import (
    promote_to_production,
    rollback,
)
from {{ cookiecutter.package_name }}.release.records import (
    DeployState,
    ReleaseRecord,
)
from {{ cookiecutter.package_name }}.release.rules import (
    require_trained_here,
    require_unused,
    staged_build,
)
from {{ cookiecutter.package_name }}.release.versions import (
    ReleaseError,
    parse_tag,
    require_newer,
)

from ..conftest import fresh_deploy

COMMIT = "a" * 40


@pytest.mark.parametrize(
    ("tag", "environment"),
    [("v0.1.0-rc.1", "staging"), ("v1.20.3-rc.12", "staging"), ("v0.1.0", "production")],
)
def test_release_tags_pick_their_environment(tag: str, environment: str) -> None:
    assert parse_tag(tag).environment == environment


@pytest.mark.parametrize(
    "tag",
    [
        "0.1.0", "v0.1", "v01.2.3", "v1.2.3-beta.1", "v1.2.3-rc", "v1.2.3-rc.01", "latest", "",
        # digits of other scripts, which `\d` takes: Arabic-Indic, fullwidth, Devanagari
        "v1.2.1\u0663", "v\uff11.0.0", "v1.0.0-rc.\u0967",
        # whitespace and line ends around a valid tag; shell and make text inside one
        "v1.0.0\n", " v1.0.0", "v1.0.0 ", "v1.0.0\t", 'v1";id>pwned;"', "v1.0.0$(id)",
        "v1.0.0`id`", "v1.0.0;id",
    ],
)  # fmt: skip
def test_other_tags_are_refused_with_the_accepted_forms(tag: str) -> None:
    with pytest.raises(ReleaseError, match=r"vX\.Y\.Z-rc\.N .* vX\.Y\.Z"):
        parse_tag(tag)


def test_versions_compare_as_versions_not_strings() -> None:
    require_newer(parse_tag("v0.10.0"), "v0.9.0")
    require_newer(parse_tag("v0.2.0-rc.1"), "v0.1.0")
    assert parse_tag("v1.0.0-rc.2").version < parse_tag("v1.0.0").version
    for stale in ("v0.9.0", "v0.10.0", "v0.10.0-rc.1"):
        with pytest.raises(ReleaseError, match="not above the current production"):
            require_newer(parse_tag(stale), "v0.10.0")


@pytest.fixture
def state(tmp_path: Path) -> DeployState:
    return DeployState(fresh_deploy(tmp_path))


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "store")


def staged(
    state: DeployState, store: ArtifactStore, version: str, commit: str = COMMIT
) -> ReleaseRecord:
    archive = store.root.parent / f"{version}.bento"
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(f"bento of {version}".encode())
    record = ReleaseRecord(
        environment="staging",
        version=version,
        commit=commit,
        model_name="model",
        model_version=len(state.history()) + 1,
        bento=f"bento:{version}",
        image="ghcr.io/org/model",
        digest=store.push(archive),
        gates_passed=True,
        metrics={"score": 0.9},
        smoke_test="3 predictions",
    )
    state.apply(record)
    return record


def test_apply_writes_record_history_and_pinned_digest(state: DeployState, store) -> None:
    record = staged(state, store, "v0.1.0-rc.1")
    assert state.current("staging") == record
    assert state.current("production") is None
    assert [r.version for r in state.history()] == ["v0.1.0-rc.1"]
    kustomization = yaml.safe_load((state.overlay("staging") / "kustomization.yaml").read_text())
    assert kustomization["images"] == [
        {"name": "model-service", "newName": "ghcr.io/org/model", "digest": record.digest}
    ]
    assert json.loads(state.record_path("staging").read_text())["commit"] == COMMIT


def test_production_promotes_the_staged_build_unchanged(state: DeployState, store) -> None:
    source = staged(state, store, "v0.1.0-rc.1")
    record, _ = promote_to_production("v0.1.0", state, store, COMMIT, staging_url="")
    assert store.resolve("v0.1.0") == source.digest
    assert (record.digest, record.model_version, record.commit) == (
        source.digest,
        source.model_version,
        source.commit,
    )
    assert record.environment == "production" and record.version == "v0.1.0"


def test_production_of_an_unstaged_commit_is_refused(state: DeployState, store) -> None:
    with pytest.raises(ReleaseError, match=r"staging holds no release"):
        staged_build(state, "v0.1.0", COMMIT, staging_url="")
    staged(state, store, "v0.1.0-rc.1")
    with pytest.raises(
        ReleaseError, match=rf"the only production tag accepted now is v0\.1\.0 on {COMMIT}"
    ):
        promote_to_production("v0.1.0", state, store, "b" * 40, staging_url="")
    with pytest.raises(ReleaseError, match=r"staging holds now, v0\.1\.0-rc\.1 .* not v0\.2\.0"):
        staged_build(state, "v0.2.0", COMMIT, staging_url="")
    with pytest.raises(ReleaseError, match=r"production takes vX\.Y\.Z"):
        staged_build(state, "v0.1.0-rc.1", COMMIT, staging_url="")


B = "b" * 40


def _replaced(state: DeployState, store: ArtifactStore) -> None:
    """v1.0.0-rc.1 passed staging, then v1.1.0-rc.1 (another commit) replaced it there."""
    staged(state, store, "v1.0.0-rc.1")
    staged(state, store, "v1.1.0-rc.1", commit=B)


def _rolled_back(state: DeployState, store: ArtifactStore) -> None:
    """v1.0.0 in production; v1.1.0-rc.1 staged, then staging rolled back to v1.0.0-rc.1."""
    staged(state, store, "v1.0.0-rc.1")
    state.apply(promote_to_production("v1.0.0", state, store, COMMIT, staging_url="")[0])
    staged(state, store, "v1.1.0-rc.1", commit=B)
    state.apply(rollback("staging", "v1.0.0-rc.1", state, store)[0])


def _never_smoke_tested(state: DeployState, store: ArtifactStore) -> None:
    """A record put in place by hand, with no smoke test behind it."""
    record = staged(state, store, "v1.0.0-rc.1")
    state.apply(replace(record, smoke_test=""))


@pytest.mark.parametrize(
    ("history", "tag", "commit", "refusal"),
    [
        (_replaced, "v1.0.0", COMMIT, rf"v1\.1\.0-rc\.1 \(commit bbbbbbbbbbbb\).*v1\.1\.0 on {B}"),
        (_rolled_back, "v1.1.0", B, r"v1\.0\.0-rc\.1 is not above production's v1\.0\.0"),
        (_never_smoke_tested, "v1.0.0", COMMIT, r"shows no passed smoke test"),
    ],
    ids=["replaced", "rolled-back", "never-smoke-tested"],
)
def test_production_takes_only_the_build_staging_holds_now(
    state: DeployState, store, history, tag: str, commit: str, refusal: str
) -> None:
    """A build staging rejected, replaced or rolled away from never reaches production."""
    history(state, store)
    before = state.history_path.read_text()
    with pytest.raises(ReleaseError, match=refusal):
        promote_to_production(tag, state, store, commit, staging_url="")
    with pytest.raises(ReleaseError, match="no artifact tagged"):
        store.resolve(tag)  # nothing was named for production either
    assert state.history_path.read_text() == before


def test_an_rc_number_is_used_once(state: DeployState, store) -> None:
    staged(state, store, "v1.2.0-rc.1")
    staged(state, store, "v1.2.0-rc.2", commit=B)
    state.apply(rollback("staging", "v1.2.0-rc.1", state, store)[0])
    for used in ("v1.2.0-rc.1", "v1.2.0-rc.2"):
        with pytest.raises(
            ReleaseError, match=r"used once: tag the commit to release v1\.2\.0-rc\.3"
        ):
            require_unused(parse_tag(used), state)
    require_unused(parse_tag("v1.2.0-rc.3"), state)
    require_unused(parse_tag("v1.3.0-rc.1"), state)


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_only_commits_on_the_remote_default_branch_are_released(tmp_path: Path) -> None:
    origin, clone = tmp_path / "origin.git", tmp_path / "clone"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(origin)], check=True)
    subprocess.run(
        ["git", "clone", "--quiet", str(origin), str(clone)], check=True, capture_output=True
    )
    identity = ("-c", "user.name=Dev", "-c", "user.email=dev@example.com")

    def commit(message: str) -> str:
        _git(clone, *identity, "commit", "--quiet", "--allow-empty", "-m", message)
        return _git(clone, "rev-parse", "HEAD")

    merged = commit("merged")
    _git(clone, "push", "--quiet", "origin", "HEAD:main")
    require_on_branch(clone, merged, "main")
    _git(clone, "checkout", "--quiet", "-b", "feature")
    pushed_elsewhere = commit("on a feature branch")
    _git(clone, "push", "--quiet", "origin", "feature")
    never_pushed = commit("never pushed")
    for outside in (pushed_elsewhere, never_pushed):
        with pytest.raises(ReleaseError, match=rf"commit {outside[:12]} is not on origin/main"):
            require_on_branch(clone, outside, "main")
    with pytest.raises(ReleaseError, match="cannot tell whether commit 000000000000"):
        require_on_branch(clone, "0" * 40, "main")


def test_a_tampered_artifact_is_refused(state: DeployState, store) -> None:
    source = staged(state, store, "v0.1.0-rc.1")
    store.path_for(source.digest).write_bytes(b"something else")
    with pytest.raises(ReleaseError, match="expected"):
        promote_to_production("v0.1.0", state, store, COMMIT, staging_url="")


@pytest.mark.parametrize(
    "broken",
    ['{"environment": "production", "vers', "not json", "[1, 2]", '"a string"', "{}"],
    ids=["half-written", "text", "list", "string", "empty-object"],
)
def test_a_broken_history_line_is_named_by_file_and_line(
    state: DeployState, store, broken: str
) -> None:
    staged(state, store, "v0.1.0-rc.1")
    state.apply(promote_to_production("v0.1.0", state, store, COMMIT, staging_url="")[0])
    with state.history_path.open("a", encoding="utf-8") as history:
        history.write(broken + "\n")
    with pytest.raises(ReleaseError, match=r"history\.jsonl:3 is not a .*git checkout -- deploy/"):
        rollback("production", "v0.1.0", state, store)


def test_a_broken_release_record_is_named(state: DeployState, store) -> None:
    staged(state, store, "v0.1.0-rc.1")
    state.record_path("staging").write_text('{"version": "v0.1', encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"staging/release\.json is not a JSON record"):
        state.current("staging")


def test_rollback_returns_to_an_earlier_release(state: DeployState, store) -> None:
    first = staged(state, store, "v0.1.0-rc.1")
    state.apply(promote_to_production("v0.1.0", state, store, COMMIT, staging_url="")[0])
    staged(state, store, "v0.2.0-rc.1", commit="c" * 40)
    state.apply(promote_to_production("v0.2.0", state, store, "c" * 40, staging_url="")[0])
    record, _ = rollback("production", "v0.1.0", state, store)
    assert (record.action, record.digest, record.previous_version) == (
        "rollback",
        first.digest,
        "v0.2.0",
    )
    state.apply(record)
    assert state.current("production").version == "v0.1.0"
    assert [r.action for r in state.history()][-1] == "rollback"
    with pytest.raises(ReleaseError, match=r"already runs v0\.1\.0"):
        rollback("production", "v0.1.0", state, store)
    with pytest.raises(ReleaseError, match=r"never ran v0\.3\.0"):
        rollback("production", "v0.3.0", state, store)


def test_store_addresses_content_by_digest(tmp_path: Path, store) -> None:
    archive = tmp_path / "x.bento"
    archive.write_bytes(b"content")
    digest = store.push(archive)
    assert digest == sha256_of(archive) and store.pull(digest).read_bytes() == b"content"
    with pytest.raises(ReleaseError, match="not a sha256 digest"):
        store.pull("md5:abc")


def test_store_tags_name_digests(tmp_path: Path, store) -> None:
    archive = tmp_path / "x.bento"
    archive.write_bytes(b"content")
    digest = store.push(archive)
    store.tag(digest, "v1.0.0-rc.1", COMMIT)
    assert store.resolve("v1.0.0-rc.1") == store.resolve(COMMIT) == digest
    with pytest.raises(ReleaseError, match="not a valid artifact tag"):
        store.tag(digest, "../escape")
    with pytest.raises(ReleaseError, match="no artifact tagged"):
        store.resolve("v9.9.9")


def test_an_image_digest_is_what_the_overlay_pins(state: DeployState, store) -> None:
    record = replace(staged(state, store, "v0.1.0-rc.1"), image_digest="sha256:" + "e" * 64)
    state.apply(record)
    kustomization = yaml.safe_load((state.overlay("staging") / "kustomization.yaml").read_text())
    assert kustomization["images"][0]["digest"] == record.image_digest != record.digest
    assert state.current("staging").image_digest == record.image_digest


@pytest.mark.parametrize(
    ("value", "message"),
    [("kaniko", "not supported: use docker, podman or none"), ("podman ", None), ("NONE", None)],
)
def test_container_engine_is_chosen_by_name(monkeypatch, value: str, message: str | None) -> None:
    monkeypatch.setenv("CONTAINER_ENGINE", value)
    monkeypatch.setenv("PATH", "")  # no engine on PATH: a named one is refused, none is none
    if value.strip().lower() == "none":
        assert container_engine() is None
        return
    with pytest.raises(ReleaseError, match=message or "but `podman info` fails here"):
        container_engine()


def test_no_engine_anywhere_means_no_image(monkeypatch) -> None:
    for name in ("CONTAINER_ENGINE", "GITHUB_ACTIONS", "ACT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "")
    assert container_engine() is None


def test_github_runners_must_build_an_image(monkeypatch) -> None:
    monkeypatch.delenv("CONTAINER_ENGINE", raising=False)
    monkeypatch.delenv("ACT", raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("PATH", "")
    assert engine_setting() == "docker"
    with pytest.raises(ReleaseError, match="CONTAINER_ENGINE=docker, but `docker info` fails"):
        container_engine()
    monkeypatch.setenv("ACT", "true")  # act runs the same workflow locally: no engine is fine
    assert container_engine() is None


def test_a_record_from_before_images_still_loads(state: DeployState, store) -> None:
    raw = staged(state, store, "v0.1.0-rc.1").to_dict()
    del raw["image_digest"]
    record = ReleaseRecord.from_dict(raw)
    assert record.image_digest is None and record.deployed_digest == record.digest


def test_image_references_are_validated_before_any_registry_call() -> None:
    images = ImageRepository("ghcr.io/org/model")
    assert images.reference("sha256:" + "0" * 64) == "ghcr.io/org/model@sha256:" + "0" * 64
    with pytest.raises(ReleaseError, match="not an image digest"):
        images.reference("sha256:short")
    with pytest.raises(ReleaseError, match="not a valid image tag"):
        images.tag("sha256:" + "0" * 64, "v1.0.0/../x")
    with pytest.raises(ReleaseError, match="not a valid image tag"):
        images.build_and_push("podman", "bento:1", ["-rm"])


def test_the_record_names_who_released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workflow's actor; outside one, git's user of the checkout; never "unknown"."""
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    for key, value in (("user.name", "Rel Manager"), ("user.email", "rel@example.com")):
        subprocess.run(["git", "-C", str(tmp_path), "config", key, value], check=True)
    assert run_context(tmp_path)["actor"] == "Rel Manager <rel@example.com>"
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    assert run_context(tmp_path)["actor"] == "octocat"


def test_a_bento_trained_elsewhere_is_refused_not_mislabelled() -> None:
    """The record names the commit the model was trained on, or the release is refused."""
    trained = {"git.commit": COMMIT, "git.dirty": "false"}
    require_trained_here(trained, COMMIT)
    with pytest.raises(
        ReleaseError, match=rf"trained at commit {COMMIT[:12]}, not at cccccccccccc"
    ):
        require_trained_here(trained, "c" * 40)
    with pytest.raises(ReleaseError, match="uncommitted changes"):
        require_trained_here({**trained, "git.dirty": "true"}, COMMIT)
    with pytest.raises(ReleaseError, match="trained at commit none"):
        require_trained_here({}, COMMIT)  # no git at training time: nothing to vouch for it
