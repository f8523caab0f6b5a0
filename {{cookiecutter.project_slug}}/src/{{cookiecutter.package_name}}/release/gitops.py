"""Commit the desired state to the default branch: promotion and rollback are commits.

The release job runs on the tagged commit, but the state lives on the default branch, so the
change is made in a worktree of `origin/<branch>` and pushed from there, retried on a race.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import gitinfo
from . import github
from .versions import ReleaseError

ATTEMPTS = 3


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def current_commit(repo: Path) -> str:
    """The commit being released: the workflow's, or the checkout's; a release needs one."""
    commit = github.commit_sha() or gitinfo.current_commit(repo)
    if commit is None:
        raise ReleaseError(f"{repo} is not a git checkout with a commit: nothing to release")
    return commit


def require_on_branch(repo: Path, commit: str, branch: str) -> None:
    """Only merged work is released: a commit on a feature branch, or one never pushed, is
    refused, so every release is of a commit the team can see on origin/<branch>."""
    done = subprocess.run(
        ["git", "merge-base", "--is-ancestor", commit, f"origin/{branch}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 1:
        raise ReleaseError(
            f"refused: commit {commit[:12]} is not on origin/{branch}; merge it into {branch}, "
            f"push, and tag the merged commit"
        )
    if done.returncode != 0:
        raise ReleaseError(
            f"cannot tell whether commit {commit[:12]} is on origin/{branch}: {done.stderr.strip()}"
        )


def _answers(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def require_origin(repo: Path, branch: str) -> None:
    """A release reads and commits the deploy state on origin/<branch>: refuse at once, in one
    line with the fix, where there is no repository or no `origin`."""
    if _answers("rev-parse", "--git-dir", cwd=repo).returncode != 0:
        raise ReleaseError(
            f"{repo} is not a git repository: releases are commits and tags on origin/{branch}; "
            f"run `git init -b {branch}`, commit, add the remote and push"
        )
    if _answers("remote", "get-url", "origin", cwd=repo).returncode != 0:
        raise ReleaseError(
            f"no git remote 'origin': a release commits its state to origin/{branch}; add it "
            f"with `git remote add origin <url>` and push with `git push -u origin {branch}`"
        )


@contextmanager
def state_worktree(repo: Path, branch: str) -> Iterator[Path]:
    """A scratch checkout of origin/<branch>, removed afterwards."""
    require_origin(repo, branch)
    fetched = _answers("fetch", "--quiet", "origin", branch, cwd=repo)
    said = (fetched.stderr.strip().splitlines() or [""])[-1]
    if fetched.returncode and "couldn't find remote ref" in fetched.stderr:
        raise ReleaseError(
            f"origin has no branch {branch}: push it first with `git push -u origin {branch}`"
        )
    # a read-only job without credentials: use what checkout fetched
    if _answers("rev-parse", "--verify", "--quiet", f"origin/{branch}", cwd=repo).returncode:
        raise ReleaseError(
            f"could not fetch origin/{branch} ({said or 'no answer'}): check the remote's URL "
            "and your access to it, then rerun"
        )
    scratch = Path(tempfile.mkdtemp(prefix="deploy-state-"))
    worktree = scratch / "state"
    git("worktree", "add", "--quiet", "--detach", str(worktree), f"origin/{branch}", cwd=repo)
    try:
        yield worktree
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(worktree)], cwd=repo, check=False
        )
        shutil.rmtree(scratch, ignore_errors=True)


def commit_state(repo: Path, branch: str, message: str, change: Callable[[Path], list[str]]) -> str:
    """Apply `change` to a fresh state checkout, commit and push; returns the commit pushed.

    `change` gets the worktree root and returns the paths it changed; on a push race (someone
    else pushed first) the change is re-applied on the new head.
    """
    identity = [
        "-c", f"user.name={os.environ.get('GIT_AUTHOR_NAME', 'release-bot')}",
        "-c", f"user.email={os.environ.get('GIT_AUTHOR_EMAIL', 'release-bot@users.noreply.github.com')}",
    ]  # fmt: skip
    last_error = ""
    for _ in range(ATTEMPTS):
        with state_worktree(repo, branch) as worktree:
            paths = change(worktree)
            git("add", "--", *paths, cwd=worktree)
            git(*identity, "commit", "--quiet", "--no-verify", "-m", message, cwd=worktree)
            pushed = subprocess.run(
                ["git", "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}"],
                cwd=worktree,
                capture_output=True,
                text=True,
                check=False,
            )
            if pushed.returncode == 0:
                return git("rev-parse", "HEAD", cwd=worktree)
            last_error = pushed.stderr.strip()
    raise ReleaseError(f"could not push the deploy state to {branch}: {last_error}")


def behind_note(repo: Path, branch: str) -> str | None:
    """Say so when the checked-out `branch` is now behind origin/<branch>, which a release
    just moved (its deploy-state commit); None elsewhere (a workflow's detached checkout)."""
    current = _answers("symbolic-ref", "--quiet", "--short", "HEAD", cwd=repo).stdout.strip()
    if current != branch:
        return None
    count = _answers("rev-list", "--count", f"{branch}..origin/{branch}", cwd=repo).stdout.strip()
    if not count.isdigit() or int(count) == 0:
        return None
    return (
        f"your {branch} is now {count} commit(s) behind origin/{branch} (the deploy state): "
        f"run `git pull --ff-only` before your next commit"
    )
