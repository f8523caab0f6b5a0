"""What a release says when its git setup is missing: no repository, no `origin`, no default
branch there; and that the local branch fell behind the deploy state a release pushed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.release.gitops import (
    behind_note,
    commit_state,
    state_worktree,
)
from {{ cookiecutter.package_name }}.release.versions import (
    ReleaseError,
)

IDENTITY = ("-c", "user.name=Dev", "-c", "user.email=dev@example.com")


def git(repo: Path, *args: str) -> str:
    command = ["git", *IDENTITY, *args]
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def a_repository(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "--quiet", "-b", "main")
    git(path, "commit", "--quiet", "--allow-empty", "-m", "first")
    return path


@pytest.mark.parametrize(
    ("setup", "said"),
    [
        (lambda tmp: tmp / "plain", r"is not a git repository: .*`git init -b main`"),
        (lambda tmp: a_repository(tmp / "alone"), r"no git remote 'origin': .*git remote add"),
    ],
)
def test_a_release_without_a_repository_or_origin_says_what_to_add(
    tmp_path: Path, setup, said: str
) -> None:
    folder = setup(tmp_path)
    folder.mkdir(exist_ok=True)
    with pytest.raises(ReleaseError, match=said), state_worktree(folder, "main"):
        pass


def with_empty_origin(tmp_path: Path) -> Path:
    """A repository whose `origin` is a bare one with nothing pushed yet."""
    repo = a_repository(tmp_path / "repo")
    subprocess.run(["git", "init", "--quiet", "--bare", str(tmp_path / "origin.git")], check=True)
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    return repo


def test_an_origin_without_the_branch_says_push_it(tmp_path: Path) -> None:
    repo = with_empty_origin(tmp_path)
    said = r"origin has no branch main: push it first with `git push -u origin main`"
    with pytest.raises(ReleaseError, match=said), state_worktree(repo, "main"):
        pass


def test_after_a_release_commit_the_local_branch_is_said_to_be_behind(tmp_path: Path) -> None:
    repo = with_empty_origin(tmp_path)
    git(repo, "push", "--quiet", "origin", "main")
    assert behind_note(repo, "main") is None

    def change(worktree: Path) -> list[str]:
        (worktree / "state.txt").write_text("staging\n", encoding="utf-8")
        return ["state.txt"]

    commit_state(repo, "main", "deploy(staging): release v1.0.0-rc.1", change)
    note = behind_note(repo, "main")
    assert note is not None and "main is now 1 commit(s) behind origin/main" in note
    assert "git pull --ff-only" in note
    git(repo, "checkout", "--quiet", "--detach")  # a workflow's checkout: nothing to say
    assert behind_note(repo, "main") is None
