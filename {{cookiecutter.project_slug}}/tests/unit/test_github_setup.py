"""`make github-setup` against a stand-in of GitHub's API (GitHub cannot be reached from a
test): the environments with their reviewers and deploy tags, the release-tag ruleset,
variables and secrets are made to match .github/repository-setup.yml; a second run changes
nothing; bad settings and a missing token are one clear line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.release import github
from {{ cookiecutter.package_name }}.release.github_setup import (
    SETTINGS,
    GitHubApi,
    apply,
    load_settings,
)

from .github_api_stand_in import GitHubState, github_api_stand_in

SHIPPED = Path(__file__).resolve().parents[2] / SETTINGS
REPO = "team/churn"


def settings(tmp_path: Path, **changes: object):
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    raw["environments"]["production"]["reviewers"] = ["alice", "team/release-managers"]
    raw.update(changes)
    path = tmp_path / "repository-setup.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_settings(path)


@pytest.fixture
def stand_in():
    state = GitHubState(
        users={"alice": "User", "team": "Organization"},
        teams={"team/release-managers"},
        secrets={"MLFLOW_TRACKING_URI"},
        org_secrets={"REGISTRY_PASSWORD"},
    )
    with github_api_stand_in(state) as running:
        yield running


def test_a_first_run_sets_everything_and_a_second_changes_nothing(tmp_path, stand_in) -> None:
    wanted = settings(tmp_path, variables={"IMAGE_REPOSITORY": "ghcr.io/team/churn"})
    api = GitHubApi(stand_in.url, "a-token")
    first = apply(wanted, api, REPO)
    assert "environment production: created, reviewers alice, team/release-managers" in first
    assert "environment production: deploys from tag v*.*.*" in first
    assert "environment staging: deploys from tag v*.*.*-rc.*" in first
    # retrain.yml and rollback.yml run on main: both environments take it
    for environment in ("staging", "production"):
        assert f"environment {environment}: deploys from branch main" in first
    assert "ruleset 'release tags': created for v*" in first
    assert "variable IMAGE_REPOSITORY: created" in first
    missing = "MLFLOW_TRACKING_PASSWORD"
    assert f"secret {missing}: missing; set it with `gh secret set {missing}`" in first
    assert not any("REGISTRY_PASSWORD" in line for line in first)  # the organisation shares it
    production = stand_in.environments["production"]
    reviewers = production["protection_rules"][0]["reviewers"]
    assert {r["type"] for r in reviewers} == {"User", "Team"}
    assert production["deployment_branch_policy"]["custom_branch_policies"] is True
    (ruleset,) = stand_in.rulesets
    assert ruleset["target"] == "tag" and {"type": "deletion"} in ruleset["rules"]
    assert ruleset["conditions"]["ref_name"]["include"] == ["refs/tags/v*"]

    writes = len(stand_in.writes)
    again = apply(wanted, api, REPO)  # GitHub answers rules in its own order: still the same
    assert len(stand_in.writes) == writes  # idempotent: nothing written
    assert "environment production: unchanged" in again
    assert "ruleset 'release tags': unchanged" in again


def test_the_workflows_environments_let_them_deploy_as_they_run() -> None:
    """Each environment a workflow names takes the refs that workflow runs on: a tag push
    (release.yml), main (retrain.yml, rollback.yml)."""
    shipped = load_settings(SHIPPED)
    workflows = SHIPPED.parent / "workflows"
    for name in ("retrain.yml", "rollback.yml"):
        text = (workflows / name).read_text(encoding="utf-8")
        for environment in ("staging", "production"):
            if f"environment: {environment}" in text or "options: [staging, production]" in text:
                assert "main" in shipped.environments[environment].branches, (name, environment)
    assert shipped.environments["staging"].tags == ["v*.*.*-rc.*"]


def test_a_policy_the_file_does_not_name_is_said_and_left(tmp_path, stand_in) -> None:
    stand_in.policies["staging"] = [{"id": 1, "name": "hotfix/*", "type": "branch"}]
    lines = apply(settings(tmp_path), GitHubApi(stand_in.url, "a-token"), REPO)
    assert "environment staging: also deploys from branch hotfix/* (not in the file)" in lines
    assert {"id": 1, "name": "hotfix/*", "type": "branch"} in stand_in.policies["staging"]


def test_nothing_is_written_when_a_reviewer_cannot_be_named(tmp_path, stand_in) -> None:
    wanted = settings(tmp_path)
    wanted.environments["production"].reviewers = ["team"]  # the owner, an organisation
    with pytest.raises(PipelineError, match="reviewer team: an organisation"):
        apply(wanted, GitHubApi(stand_in.url, "a-token"), REPO)
    assert stand_in.writes == []


def test_a_changed_setting_is_applied_and_said(tmp_path, stand_in) -> None:
    api = GitHubApi(stand_in.url, "a-token")
    apply(settings(tmp_path), api, REPO)
    changed = settings(tmp_path, release_tags=["v*", "release-*"])
    changed.environments["production"].reviewers = ["alice"]
    lines = apply(changed, api, REPO)
    assert "environment production: updated, reviewers alice" in lines
    assert "ruleset 'release tags': updated for v*, release-*" in lines


@pytest.mark.parametrize(
    ("reviewer", "said"),
    [
        ("team", "reviewer team: an organisation; name a user, or a team as org/team"),
        ("nobody", "reviewer nobody: no such user"),
        ("team/nobody", "reviewer team/nobody: no such team"),
    ],
)
def test_a_reviewer_github_cannot_name_is_refused(tmp_path, stand_in, reviewer, said) -> None:
    wanted = settings(tmp_path)
    wanted.environments["production"].reviewers = [reviewer]
    with pytest.raises(PipelineError, match=said):
        apply(wanted, GitHubApi(stand_in.url, "a-token"), REPO)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("environments: {prod: {reviewer: [a]}}", r"environments\.prod\.reviewer"),
        ("environments: [", "repository-setup.yml"),
        ("release_tags: v*", "environments"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "repository-setup.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PipelineError, match=said):
        load_settings(path)


def test_no_token_and_no_github_remote_are_one_line_each(tmp_path, monkeypatch) -> None:
    for name in ("GH_TOKEN", "GITHUB_TOKEN", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no gh to ask
    with pytest.raises(PipelineError, match="no GitHub token: run `gh auth login`"):
        github.admin_token()
    with pytest.raises(PipelineError, match="set GITHUB_REPOSITORY=owner/name"):
        github.repository_of(tmp_path)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    assert github.repository_of(tmp_path) == REPO


@pytest.mark.parametrize(
    "remote",
    [
        "git@github.com:team/churn.git",
        "https://github.com/team/churn",
        "https://github.com/team/churn.git/",
        "ssh://git@github.example.com:2222/team/churn.git",
    ],
)
def test_the_repository_is_read_from_origin(tmp_path, monkeypatch, remote: str) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", remote], check=True)
    assert github.repository_of(tmp_path) == REPO


def test_the_stand_in_refuses_a_call_without_a_token(stand_in) -> None:
    with pytest.raises(PipelineError, match="answered 401"):
        GitHubApi(stand_in.url, "").call("PUT", f"/repos/{REPO}/environments/staging", {})
