"""Two clones run the pipeline at once against one tracking server: the registry ends as
runs one after the other would leave it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import CLI, cli_env, stack_project
from .registry import registry_state

pytestmark = pytest.mark.stack


def test_two_pipelines_at_once_leave_the_registry_consistent(tmp_path: Path, stack) -> None:
    name = "stack-concurrent"
    first = stack_project(tmp_path / "first", stack, name)
    second = tmp_path / "second"
    subprocess.run(
        ["git", "clone", "-q", str(tmp_path / "first-origin.git"), str(second)], check=True
    )
    runs = [
        subprocess.Popen(
            [*CLI, "pipeline"],
            cwd=root,
            env=cli_env(root),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for root in (first, second)
    ]
    outputs = [process.communicate(timeout=900)[0] for process in runs]
    for process, output in zip(runs, outputs, strict=True):
        assert process.returncode == 0, (
            f"{output[-3000:]}\nthe server's last error:\n{stack.server.last_error()}"
        )
    registrations = [
        json.loads((root / "reports" / "registration.json").read_text()) for root in (first, second)
    ]
    state = registry_state(stack.server.url, name)
    assert sorted(r["version"] for r in registrations) == [1, 2]
    assert state["versions"] == {r["version"]: r["run_id"] for r in registrations}
    # as two runs in a row leave it: the newer version is the challenger
    assert state["aliases"] == {"challenger": 2}
