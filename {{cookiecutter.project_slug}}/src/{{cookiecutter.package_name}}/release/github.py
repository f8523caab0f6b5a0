"""Everything the release code reads from a GitHub Actions run, in one place.

Outside a workflow each of these is empty (or the local fallback), so the same commands run
on a laptop; under `act` the run is local, whatever GITHUB_ACTIONS says.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
import shutil
import subprocess
from pathlib import Path

from ..gitinfo import git_user
from .versions import ReleaseError

REPO = re.compile(r"[\w.-]+/[\w.-]+")
REMOTE = re.compile(r"[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def on_github() -> bool:
    """A hosted (or self-hosted) GitHub runner, not `act` on a laptop."""
    return os.environ.get("GITHUB_ACTIONS") == "true" and not os.environ.get("ACT")


def commit_sha() -> str:
    """The commit the workflow runs for, or '' outside one."""
    return os.environ.get("GITHUB_SHA", "")


def actor() -> str:
    """The GitHub user who started the workflow run; empty outside a workflow."""
    return os.environ.get("GITHUB_ACTOR", "")


def run_url() -> str:
    """This workflow run's page, or '' outside one."""
    server, repo, run = (
        os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if REPO.fullmatch(repo) and run else ""


def has_token() -> bool:
    """A token `gh` can publish releases with."""
    return bool(os.environ.get("GH_TOKEN"))


def api() -> tuple[str, str, str] | None:
    """(API URL, owner/repo, token) for GitHub's REST API, or None outside a run with a token.
    GITHUB_API_URL is the runner's (a GitHub Enterprise server's, or a stand-in's)."""
    url = api_url()
    repo, token = os.environ.get("GITHUB_REPOSITORY", ""), os.environ.get("GITHUB_TOKEN", "")
    return (url, repo, token) if REPO.fullmatch(repo) and token else None


def api_url() -> str:
    """GitHub's REST API: GITHUB_API_URL (a GitHub Enterprise server's, or a stand-in's)."""
    return os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")


def append_summary(markdown: str) -> None:
    """Add to the job summary page, when the run has one."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as summary:
            summary.write(markdown + "\n")


def set_outputs(**values: str) -> None:
    """Set step outputs, when the run reads them."""
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with Path(output).open("a", encoding="utf-8") as outputs:
            outputs.writelines(f"{name}={value}\n" for name, value in values.items())


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no USER and no passwd entry: a bare container
        return "unknown"


def run_context(root: Path = Path()) -> dict[str, str]:
    """Who and what ran this promotion: the workflow's actor and run when there is one, else
    git's user of this checkout (then the login name)."""
    return {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "actor": actor() or git_user(root) or _login(),
        "run_url": run_url(),
    }


def admin_token() -> str:
    """GH_TOKEN or GITHUB_TOKEN, else the one `gh auth login` stored."""
    found = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")
    if not found and shutil.which("gh"):
        done = subprocess.run(["gh", "auth", "token"], capture_output=True, text=True, check=False)
        found = done.stdout.strip() if done.returncode == 0 else ""
    if not found:
        raise ReleaseError(
            "no GitHub token: run `gh auth login`, or set GH_TOKEN to a token with admin "
            "rights on the repository"
        )
    return found


def repository_of(root: Path) -> str:
    """owner/name: GITHUB_REPOSITORY, else the GitHub remote `origin` points at."""
    named = os.environ.get("GITHUB_REPOSITORY", "")
    if not named and shutil.which("git"):
        done = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            check=False,
        )
        # git@host:owner/name.git, https://host/owner/name(.git)(/), ssh://git@host:22/owner/name
        found = REMOTE.search(done.stdout.strip()) if done.returncode == 0 else None
        named = f"{found[1]}/{found[2]}" if found else ""
    if not REPO.fullmatch(named):
        raise ReleaseError(
            "cannot tell the GitHub repository from a git remote 'origin' here; set "
            "GITHUB_REPOSITORY=owner/name"
        )
    return named
