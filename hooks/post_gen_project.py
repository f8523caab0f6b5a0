"""Turn the freshly baked project into a git repository with one commit.

Cookiecutter runs this script inside the new project folder after rendering
it with Jinja. The answers arrive through one ``tojson`` expression inside a
raw string (see pre_gen_project.py), so no answer is spliced into Python
source.

Git problems never fail the bake: if this script exited non-zero, cookiecutter
would delete the project it has just generated. Instead it prints a warning
and the user can run the git commands themselves.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# The only Jinja in this file; tojson output cannot close a raw string.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

COMMIT_MESSAGE = "Initial commit from the project template"
BRANCH = "main"
GIT_TIMEOUT_SECONDS = 120

# Variables that would point git at another repository or index (they are set,
# for example, when cookiecutter runs from inside a git hook) or override the
# author we pass explicitly.
GIT_ENV_OVERRIDES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
)


class GitError(RuntimeError):
    """A git command failed; carries a message fit to show the user."""


def _git_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Copy the environment without variables that redirect git elsewhere."""
    return {key: value for key, value in environ.items() if key not in GIT_ENV_OVERRIDES}


def _run_git(git: str, args: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run one git command quietly, raising GitError with its output on failure."""
    try:
        result = subprocess.run(
            [git, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitError(f"`git {args[0]}` could not run: {error}") from error
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise GitError(f"`git {args[0]}` failed (exit {result.returncode}): {output}")


def init_repository(
    project_dir: Path,
    author_name: str,
    author_email: str,
    git: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Init a repo on ``main`` and commit everything; return True on success.

    Identity is passed with ``-c`` so the commit works without a global git
    identity and without touching the user's configuration. ``--no-verify``
    skips any global commit hooks, which know nothing about a fresh project.
    """
    git = git or shutil.which("git")
    if git is None:
        print(
            "NOTE: git is not on PATH, so the project was not made a git "
            "repository. Run `git init -b main` in it later.",
        )
        return False
    if (project_dir / ".git").exists():
        print(f"NOTE: {project_dir} is already a git repository; left unchanged.")
        return False

    env = _git_env(os.environ if environ is None else environ)
    identity = ["-c", f"user.name={author_name}", "-c", f"user.email={author_email}"]
    try:
        try:
            _run_git(git, ["init", "-q", "-b", BRANCH], project_dir, env)
        except GitError:
            # git older than 2.28 has no -b; name the branch by hand instead.
            _run_git(git, ["init", "-q"], project_dir, env)
            _run_git(
                git,
                ["symbolic-ref", "HEAD", f"refs/heads/{BRANCH}"],
                project_dir,
                env,
            )
        _run_git(git, ["add", "-A"], project_dir, env)
        _run_git(
            git,
            [*identity, "commit", "-q", "--no-verify", "-m", COMMIT_MESSAGE],
            project_dir,
            env,
        )
    except GitError as error:
        print(
            f"WARNING: the project was generated, but setting up git failed: "
            f"{error}\nRun `git init -b {BRANCH} && git add -A && git commit` "
            "in the project folder yourself.",
            file=sys.stderr,
        )
        return False
    return True


def main() -> None:
    """Make the generated project a git repository; never fail the bake."""
    try:
        answers = json.loads(ANSWERS_JSON)
    except json.JSONDecodeError:
        print(
            "WARNING: post_gen_project.py was not rendered by cookiecutter; skipping git setup.",
            file=sys.stderr,
        )
        return
    committed = init_repository(
        Path.cwd(),
        str(answers.get("author_name", "")),
        str(answers.get("author_email", "")),
    )
    if "_commit" not in answers:  # cruft regenerates projects in temporary folders to diff them
        print(next_steps(Path.cwd(), committed))


def next_steps(project_dir: Path, committed: bool) -> str:
    """What a successful bake prints: where the project is and the first commands to run."""
    made = " (a git repository with one commit)" if committed else ""
    return "\n".join(
        [
            f"Created {project_dir}{made}. Next:",
            f"  cd {project_dir}",
            "  make pipeline   # installs the pinned stack into .venv, then runs every stage",
            "  make serve      # serves the packaged model over HTTP (see its README)",
            "  make test       # the project's own tests; `make help` lists every target",
        ]
    )


if __name__ == "__main__":
    main()
