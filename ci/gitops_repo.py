"""A baked project with a bare origin, driven as a developer and GitHub would: shared by the
template's workflow scenarios (tests/test_gitops.py, test_own_data.py, test_hostile_inputs.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ci.bake import DEFAULTS, bake, find_python, make, project_env


class Repo:
    """A baked project with a bare origin, and the commands a developer would type."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.origin = root.parent / "origin.git"
        self.env = project_env(find_python(DEFAULTS[0]))
        self.env["MLFLOW_TRACKING_URI"] = f"sqlite:///{root.parent / 'shared-mlflow.db'}"
        self.env["ARTIFACT_STORE"] = str(root.parent / "shared-artifacts")
        self.env["LOCAL_OUTPUTS"] = str(root.parent / "act-outputs")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=True,
            env=self.env,
        )
        return done.stdout.strip()

    def act(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a workflow; its whole log is kept beside the project for a post-mortem."""
        done = subprocess.run(
            [str(self.root / ".venv" / "bin" / "python"), "ci/act.py", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
            env=self.env,
        )
        logs = self.root.parent / "act-logs"
        logs.mkdir(exist_ok=True)
        name = f"{len(list(logs.iterdir())):02d}-{'-'.join(args)}.log".replace("/", "_")
        (logs / name).write_text(done.stdout + done.stderr, encoding="utf-8")
        return done

    def tag(self, name: str) -> subprocess.CompletedProcess[str]:
        self.git("tag", name)
        self.git("push", "--quiet", "origin", name)
        return self.act("tag", name)

    def origin_file(self, path: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(self.origin), "show", f"main:{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def record(self, environment: str) -> dict:
        return json.loads(self.origin_file(f"deploy/overlays/{environment}/release.json"))

    def main_head(self) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(self.origin), "rev-parse", "main"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def alias_version(self, alias: str) -> int:
        script = (
            "import mlflow, sys; mlflow.set_tracking_uri(sys.argv[1]); "
            "client = mlflow.MlflowClient(); "
            "print(client.get_model_version_by_alias(sys.argv[2], sys.argv[3]).version)"
        )
        done = subprocess.run(
            [str(self.root / ".venv" / "bin" / "python"), "-c", script,
             self.env["MLFLOW_TRACKING_URI"], self.root.name, alias],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(done.stdout.strip())


def baked_with_origin(base: Path, project_name: str) -> Repo:
    """Bake a project (default answers), push it to a bare origin beside it, and install it."""
    repo = Repo(bake(base, project_name=project_name))
    subprocess.run(["git", "init", "--quiet", "--bare", str(repo.origin)], check=True)
    repo.git("remote", "add", "origin", str(repo.origin))
    repo.git("push", "--quiet", "origin", "main")
    installed = make(repo.root, "install", python=find_python(DEFAULTS[0]))
    assert installed.returncode == 0, output(installed)
    return repo


def output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def explain(done: subprocess.CompletedProcess[str]) -> str:
    """The failing steps' lines first, then the end of the log: enough to see why."""
    lines = output(done).splitlines()
    failing = [
        line for line in lines if "❌" in line or "error" in line.lower() or "Failed" in line
    ]
    return "\n".join([*failing[:60], "...", *lines[-80:]])
