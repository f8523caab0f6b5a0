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
from urllib.parse import quote

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import PipelineError

SETTINGS = Path(".github") / "repository-setup.yml"
RULESET = "release tags"
RULES = ("update", "deletion", "non_fast_forward")  # a release tag is never moved or deleted


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnvironmentSettings(_Strict):
    reviewers: list[str] = Field(default_factory=list, max_length=6)  # GitHub's limit
    tags: list[str] = Field(default_factory=list)
    branches: list[str] = Field(default_factory=list)  # a workflow run from main deploys too


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
            hint = (
                " (the token needs admin rights on the repository)"
                if error.code in {401, 403}
                else ""
            )
            raise PipelineError(
                f"GitHub API: {method} {path} answered {error.code}: {said}{hint}"
            ) from None
        except (OSError, ValueError) as error:  # refused, timed out, a malformed URL
            raise PipelineError(f"GitHub API at {self.url} did not answer: {error}") from None
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError:
            raise PipelineError(f"GitHub API: {method} {path} answered no JSON") from None


def _reviewer(api: GitHubApi, name: str) -> dict[str, Any]:
    if "/" in name:
        org, slug = name.split("/", 1)
        team = api.call("GET", f"/orgs/{quote(org)}/teams/{quote(slug)}")
        if team is None:
            raise PipelineError(f"reviewer {name}: no such team")
        return {"type": "Team", "id": team["id"]}
    user = api.call("GET", f"/users/{quote(name)}")
    if user is None or user.get("type") == "Organization":
        raise PipelineError(
            f"reviewer {name}: {'an organisation' if user else 'no such user'}; name a user, "
            f"or a team as org/team, in {SETTINGS} (environments.<name>.reviewers)"
        )
    return {"type": "User", "id": user["id"]}


def _environment(
    api: GitHubApi, repo: str, name: str, wanted: EnvironmentSettings, reviewers: list[dict]
) -> list[str]:
    base = f"/repos/{repo}/environments/{quote(name)}"
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
        custom = {"protected_branches": False, "custom_branch_policies": True}
        api.call("PUT", base, {"reviewers": reviewers, "deployment_branch_policy": custom})
        shown = ", ".join(wanted.reviewers) or "none"
        how = "created" if current is None else "updated"
        done.append(f"environment {name}: {how}, reviewers {shown}")
    policies = api.call("GET", f"{base}/deployment-branch-policies?per_page=100") or {}
    existing = {(p["name"], p.get("type", "branch")) for p in policies.get("branch_policies", [])}
    wanted_refs = {(t, "tag") for t in wanted.tags} | {(b, "branch") for b in wanted.branches}
    for pattern, kind in sorted(wanted_refs - existing):
        api.call("POST", f"{base}/deployment-branch-policies", {"name": pattern, "type": kind})
        done.append(f"environment {name}: deploys from {kind} {pattern}")
    for pattern, kind in sorted(existing - wanted_refs):  # a team's own: said, left alone
        done.append(f"environment {name}: also deploys from {kind} {pattern} (not in the file)")
    return done or [f"environment {name}: unchanged"]


def _ruleset(api: GitHubApi, repo: str, patterns: list[str]) -> list[str]:
    include = [f"refs/tags/{p}" for p in patterns]
    wanted = {
        "name": RULESET,
        "target": "tag",
        "enforcement": "active",
        "conditions": {"ref_name": {"include": include, "exclude": []}},
        "rules": [{"type": rule} for rule in RULES],
    }
    listed = api.call("GET", f"/repos/{repo}/rulesets?includes_parents=false") or []
    found = [
        r for r in listed if r["name"] == RULESET and r.get("source_type") in {None, "Repository"}
    ]
    if not found:
        api.call("POST", f"/repos/{repo}/rulesets", wanted)
        return [f"ruleset '{RULESET}': created for {', '.join(patterns)}"]
    current = api.call("GET", f"/repos/{repo}/rulesets/{found[0]['id']}") or {}
    ref_name = current.get("conditions", {}).get("ref_name", {})
    same = (
        current.get("target") == "tag"
        and current.get("enforcement") == "active"
        and set(ref_name.get("include", [])) == set(include)
        and not ref_name.get("exclude")
        and {rule["type"] for rule in current.get("rules", [])} == set(RULES)
    )  # compared as sets: GitHub may answer in its own order, with each rule's parameters
    if same:
        return [f"ruleset '{RULESET}': unchanged"]
    api.call("PUT", f"/repos/{repo}/rulesets/{found[0]['id']}", wanted)
    return [f"ruleset '{RULESET}': updated for {', '.join(patterns)}"]


def _variables(api: GitHubApi, repo: str, wanted: dict[str, str | None]) -> list[str]:
    done = []
    for name, value in wanted.items():
        if value is None:
            continue
        path = f"/repos/{repo}/actions/variables"
        current = api.call("GET", f"{path}/{quote(name)}")
        if current is None:
            api.call("POST", path, {"name": name, "value": value})
            done.append(f"variable {name}: created")
        elif current.get("value") != value:
            api.call("PATCH", f"{path}/{quote(name)}", {"name": name, "value": value})
            done.append(f"variable {name}: updated")
    return done or ["variables: unchanged"]


def _secret_names(api: GitHubApi, repo: str, environments: list[str]) -> set[str]:
    """Secrets the workflows can read: the repository's, its environments' and those the
    organisation shares with it."""
    paths = [f"/repos/{repo}/actions/secrets", f"/repos/{repo}/actions/organization-secrets"]
    paths += [f"/repos/{repo}/environments/{quote(env)}/secrets" for env in environments]
    listed = [api.call("GET", f"{path}?per_page=100") or {} for path in paths]
    return {secret["name"] for answer in listed for secret in answer.get("secrets", [])}


def _secrets(api: GitHubApi, repo: str, settings: Settings, from_environment: bool) -> list[str]:
    present = _secret_names(api, repo, list(settings.environments))
    done = []
    for name in settings.secrets:
        if name in present:
            continue
        value = os.environ.get(name) if from_environment else None
        if not value or not shutil.which("gh"):
            done.append(f"secret {name}: missing; set it with `gh secret set {name}`")
            continue
        # gh encrypts it with the repository's key; the value goes on stdin, never in argv
        sent = subprocess.run(
            ["gh", "secret", "set", name, "--repo", repo],
            input=value,
            text=True,
            capture_output=True,
            check=False,
        )
        if sent.returncode != 0:
            raise PipelineError(f"gh secret set {name}: {sent.stderr.strip()[:300]}")
        done.append(f"secret {name}: set from ${name} in this shell")
    return done or ["secrets: all present"]


def apply(
    settings: Settings, api: GitHubApi, repo: str, secrets_from_environment: bool = False
) -> list[str]:
    """Make the repository match `settings`; one line per part, saying what changed. Every
    reviewer is resolved first: a name GitHub cannot take changes nothing."""
    reviewers = {
        name: [_reviewer(api, who) for who in wanted.reviewers]
        for name, wanted in settings.environments.items()
    }
    lines = []
    for name, wanted in settings.environments.items():
        lines += _environment(api, repo, name, wanted, reviewers[name])
    if settings.release_tags:
        lines += _ruleset(api, repo, settings.release_tags)
    lines += _variables(api, repo, settings.variables)
    return lines + _secrets(api, repo, settings, secrets_from_environment)
