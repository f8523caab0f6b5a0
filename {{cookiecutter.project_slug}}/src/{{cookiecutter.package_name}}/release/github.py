"""Everything the release code reads from a GitHub Actions run, in one place.

Outside a workflow each of these is empty (or the local fallback), so the same commands run
on a laptop; under `act` the run is local, whatever GITHUB_ACTIONS says.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
from pathlib import Path

from ..gitinfo import git_user

REPO = re.compile(r"[\w.-]+/[\w.-]+")


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
    url = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    repo, token = os.environ.get("GITHUB_REPOSITORY", ""), os.environ.get("GITHUB_TOKEN", "")
    return (url, repo, token) if REPO.fullmatch(repo) and token else None


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
