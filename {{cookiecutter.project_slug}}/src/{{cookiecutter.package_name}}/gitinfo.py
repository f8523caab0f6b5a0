"""The git commit a run came from, recorded with every MLflow run when the project is a repository."""

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
