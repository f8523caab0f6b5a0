"""GitHub set up as code: `.github/repository-setup.yml` applied through GitHub's REST API.

Each part is read first and written only where it differs, so a second run changes nothing
and says so: the environments (required reviewers, the tags that may deploy), a ruleset that
keeps release tags from being moved or deleted, the repository variables, and the secrets the
workflows read (set through `gh`, which encrypts them, or named as missing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import PipelineError

SETTINGS = Path(".github") / "repository-setup.yml"
RULESET = "release tags"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnvironmentSettings(_Strict):
    reviewers: list[str] = Field(default_factory=list, max_length=6)  # GitHub's limit
    tags: list[str] = Field(default_factory=list)


class Settings(_Strict):
    environments: dict[str, EnvironmentSettings]
    release_tags: list[str] = Field(default_factory=list)
    variables: dict[str, str | None] = Field(default_factory=dict)
    secrets: list[str] = Field(default_factory=list)


def load_settings(path: Path) -> Settings:
    try:
        return Settings.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise PipelineError(f"{path}: not found (the repository's settings as code)") from None
    except (yaml.YAMLError, ValidationError) as exc:
        raise PipelineError(f"{path}: {exc}".splitlines()[0] + f" ({_first_error(exc)})") from exc


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        item = exc.errors()[0]
        return f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
    return str(exc).splitlines()[-1]


class GitHubApi:
    """GitHub's REST API (GITHUB_API_URL: a GitHub Enterprise server's, or a stand-in's)."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url.rstrip("/"), token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """The answer's JSON; None for 404 on a GET (absent) or an empty answer."""
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as error:
            if error.code == 404 and method == "GET":
                return None
            said = error.read().decode(errors="replace")[:300]
            raise PipelineError(
                f"GitHub API: {method} {path} answered {error.code}: {said} (the token needs "
                "admin rights on the repository)"
            ) from None
        except OSError as error:
            raise PipelineError(f"GitHub API at {self.url} did not answer: {error}") from None
        return json.loads(raw) if raw else None


def _reviewer(api: GitHubApi, name: str) -> dict[str, Any]:
    if "/" in name:
        org, slug = name.split("/", 1)
        team = api.call("GET", f"/orgs/{org}/teams/{slug}")
        if team is None:
            raise PipelineError(f"reviewer {name}: no such team")
        return {"type": "Team", "id": team["id"]}
    user = api.call("GET", f"/users/{name}")
    if user is None or user.get("type") == "Organization":
        raise PipelineError(
            f"reviewer {name}: {'an organisation' if user else 'no such user'}; name a user, "
            "or a team as org/team, in environments.<name>.reviewers"
        )
    return {"type": "User", "id": user["id"]}


def _environment(api: GitHubApi, repo: str, name: str, wanted: EnvironmentSettings) -> list[str]:
    base = f"/repos/{repo}/environments/{name}"
    reviewers = [_reviewer(api, who) for who in wanted.reviewers]
    current = api.call("GET", base)
    rules = (current or {}).get("protection_rules", [])
    have = sorted(
        (r["type"], r["reviewer"]["id"]) for rule in rules for r in rule.get("reviewers", [])
    )
    policy = (current or {}).get("deployment_branch_policy") or {}
    done = []
    if (
        current is None
        or have != sorted((r["type"], r["id"]) for r in reviewers)
        or not policy.get("custom_branch_policies")
    ):
        api.call(
            "PUT",
            base,
            {
                "reviewers": reviewers,
                "deployment_branch_policy": {
                    "protected_branches": False,
                    "custom_branch_policies": True,
                },
            },
        )
        shown = ", ".join(wanted.reviewers) or "none"
        done.append(
            f"environment {name}: {'created' if current is None else 'updated'}, reviewers {shown}"
        )
    policies = api.call("GET", f"{base}/deployment-branch-policies") or {}
    existing = {
        (p["name"], p.get("type", "branch")): p["id"] for p in policies.get("branch_policies", [])
    }
    for pattern in wanted.tags:
        if (pattern, "tag") not in existing:
            api.call("POST", f"{base}/deployment-branch-policies", {"name": pattern, "type": "tag"})
            done.append(f"environment {name}: deploys from tags {pattern}")
    for (pattern, kind), number in existing.items():
        if kind != "tag" or pattern not in wanted.tags:
            api.call("DELETE", f"{base}/deployment-branch-policies/{number}")
            done.append(f"environment {name}: no longer deploys from {kind} {pattern}")
    return done or [f"environment {name}: unchanged"]


def _ruleset(api: GitHubApi, repo: str, patterns: list[str]) -> list[str]:
    wanted = {
        "name": RULESET,
        "target": "tag",
        "enforcement": "active",
        "conditions": {
            "ref_name": {"include": [f"refs/tags/{p}" for p in patterns], "exclude": []}
        },
        "rules": [{"type": "update"}, {"type": "deletion"}, {"type": "non_fast_forward"}],
    }
    found = [r for r in api.call("GET", f"/repos/{repo}/rulesets") or [] if r["name"] == RULESET]
    if not found:
        api.call("POST", f"/repos/{repo}/rulesets", wanted)
        return [f"ruleset '{RULESET}': created for {', '.join(patterns)}"]
    current = api.call("GET", f"/repos/{repo}/rulesets/{found[0]['id']}") or {}
    if all(current.get(key) == value for key, value in wanted.items()):
        return [f"ruleset '{RULESET}': unchanged"]
    api.call("PUT", f"/repos/{repo}/rulesets/{found[0]['id']}", wanted)
    return [f"ruleset '{RULESET}': updated for {', '.join(patterns)}"]


def _variables(api: GitHubApi, repo: str, wanted: dict[str, str | None]) -> list[str]:
    done = []
    for name, value in wanted.items():
        if value is None:
            continue
        current = api.call("GET", f"/repos/{repo}/actions/variables/{name}")
        if current is None:
            api.call("POST", f"/repos/{repo}/actions/variables", {"name": name, "value": value})
            done.append(f"variable {name}: created")
        elif current.get("value") != value:
            api.call(
                "PATCH", f"/repos/{repo}/actions/variables/{name}", {"name": name, "value": value}
            )
            done.append(f"variable {name}: updated")
    return done or ["variables: unchanged"]


def _secrets(api: GitHubApi, repo: str, names: list[str]) -> list[str]:
    listed = api.call("GET", f"/repos/{repo}/actions/secrets?per_page=100") or {}
    present = {secret["name"] for secret in listed.get("secrets", [])}
    done = []
    for name in names:
        if name in present:
            continue
        value = os.environ.get(name)
        if value and shutil.which("gh"):  # gh encrypts it with the repository's key
            subprocess.run(
                ["gh", "secret", "set", name, "--repo", repo],
                input=value,
                text=True,
                capture_output=True,
                check=True,
            )
            done.append(f"secret {name}: set from the environment")
        else:
            done.append(f"secret {name}: missing; set it with `gh secret set {name}`")
    return done or ["secrets: all present"]


def apply(settings: Settings, api: GitHubApi, repo: str) -> list[str]:
    """Make the repository match `settings`; one line per part, saying what changed."""
    lines = []
    for name, wanted in settings.environments.items():
        lines += _environment(api, repo, name, wanted)
    if settings.release_tags:
        lines += _ruleset(api, repo, settings.release_tags)
    return [
        *lines,
        *_variables(api, repo, settings.variables),
        *_secrets(api, repo, settings.secrets),
    ]
