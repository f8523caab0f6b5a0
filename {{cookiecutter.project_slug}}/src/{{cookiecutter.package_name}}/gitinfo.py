"""Git facts of the checkout: the commit a run came from, a dirty tree, who commits, what is new."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def current_commit(root: Path) -> str | None:
    if shutil.which("git") is None:
        return None
    result = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None if result.returncode == 0 else None


def is_dirty(root: Path) -> bool:
    result = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and bool(result.stdout.strip())


def git_user(root: Path) -> str:
    """Who git says is committing here (`user.name <user.email>`), empty when unset."""
    if shutil.which("git") is None:
        return ""
    values = []
    for key in ("user.name", "user.email"):
        done = subprocess.run(
            ["git", "-C", str(root), "config", key], capture_output=True, text=True, check=False
        )
        values.append(done.stdout.strip() if done.returncode == 0 else "")
    name, email = values
    return f"{name} <{email}>" if name and email else name or email


def uncommitted(root: Path, files: list[Path]) -> list[str]:
    """Which of `files` git would show as new or changed: none without git, outside a
    repository, or for a file outside the project."""
    if shutil.which("git") is None:
        return []
    found = []
    for file in files:
        if not file.is_relative_to(root) or not file.is_file():
            continue
        name = str(file.relative_to(root))
        done = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "-z", "--", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and done.stdout:
            found.append(name)
    return found
