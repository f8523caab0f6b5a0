"""Faults of a shared tracking stack: the server not answering at each command that uses it,
the server down and back, PostgreSQL restarted mid-run, the object store refusing writes.
Each gives one clear line naming what failed, leaves the registry whole (no version without
its artifacts, no alias on a half-registered one), and a rerun after recovery succeeds."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.layout import Layout

from .conftest import CLI, FAST_FAILURE, cli_env, git, run, stack_project
from .registry import registry_state

pytestmark = pytest.mark.stack
NAME = "stack-faults"


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def one_clear_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The command failed with an `error:` line holding `words`, and no traceback."""
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors, output[-3000:]
    assert all(word in output for word in words), (words, output[-3000:])
    return errors[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, stack) -> Path:
    root = stack_project(tmp_path_factory.mktemp("faults") / "project", stack, NAME)
    ok(run(root, "pipeline"))
    batch = batch_file(root, root.parent)  # logged traffic, so `monitor` has a window to log
    ok(
        run(
            root,
            "score",
            str(batch),
            "--out",
            str(root.parent / "scored.csv"),
            "--alias",
            "challenger",
        )
    )
    return root


@pytest.fixture
def dead_url() -> Iterator[str]:
    """A loopback port held bound but never listening: connections are refused (a port merely
    freed may be handed to the client's own connection, which then talks to itself)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


def batch_file(root: Path, folder: Path) -> Path:
    target = yaml.safe_load((root / "params.yaml").read_text())["data"]["target"]
    rows = pd.read_parquet(Layout(root).test_data).drop(columns=[target])
    rows.to_csv(folder / "batch.csv", index=False)
    return folder / "batch.csv"


COMMANDS = {
    "validate_model": ["validate_model"],
    "register": ["register"],
    "package": ["package"],
    "score": ["score", "{batch}", "--out", "{out}", "--alias", "challenger"],
    "monitor": ["monitor"],
    "release": ["release", "staging", "--tag", "v0.1.0-rc.1"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_names_a_server_that_does_not_answer(
    trained: Path, tmp_path: Path, stack, command: str, dead_url: str
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(trained, root, symlinks=True)
    url = dead_url
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["mlflow"]["tracking_uri"] = url
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    git(root, "commit", "-q", "-am", "the tracking server moved")
    origin = tmp_path / "origin.git"  # an origin of its own: the copies push in turn
    git(root, "clone", "-q", "--bare", git(root, "remote", "get-url", "origin"), str(origin))
    git(root, "remote", "set-url", "origin", str(origin))
    git(root, "push", "-q", "origin", "HEAD:main")
    before = registry_state(stack.server.url, NAME)
    pushed = git(root, "ls-remote", "origin", "main")
    args = [
        a.format(batch=batch_file(root, tmp_path), out=tmp_path / "out.csv")
        for a in COMMANDS[command]
    ]
    line = one_clear_line(run(root, *args, **FAST_FAILURE), url, "did not answer")
    print(line)
    assert registry_state(stack.server.url, NAME) == before
    assert git(root, "ls-remote", "origin", "main") == pushed  # nothing released
    assert not (tmp_path / "out.csv").exists()


def test_the_server_down_then_back(trained: Path, stack) -> None:
    before = registry_state(stack.server.url, NAME)
    stack.server.stop()
    try:
        line = one_clear_line(run(trained, "pipeline", **FAST_FAILURE), stack.server.url)
        print(line)
    finally:
        stack.server.start()
    assert registry_state(stack.server.url, NAME) == before
    ok(run(trained, "pipeline"))
    after = registry_state(stack.server.url, NAME)
    assert len(after["versions"]) == len(before["versions"]) + 1
    assert after["aliases"]["challenger"] == max(after["versions"])


def test_postgres_restarted_mid_run(trained: Path, stack) -> None:
    before = registry_state(stack.server.url, NAME)
    process = subprocess.Popen(
        [*CLI, "pipeline"], cwd=trained, env=cli_env(trained), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output = []
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if line.startswith("[8/9] register") and "ok" not in line:
            stack.postgres.restart()
    process.wait(timeout=600)
    text = "".join(output)
    if process.returncode != 0:  # one clear line, then a rerun passes
        assert "Traceback" not in text and "error:" in text, text[-3000:]
        assert registry_state(stack.server.url, NAME) == before
        ok(run(trained, "pipeline"))
    after = registry_state(stack.server.url, NAME)
    assert len(after["versions"]) == len(before["versions"]) + 1, text[-2000:]
    assert after["aliases"]["challenger"] == max(after["versions"])


def test_an_object_store_refusing_writes(trained: Path, stack) -> None:
    before = registry_state(stack.server.url, NAME)
    stack.objects.stop()
    stack.objects.start(read_only=True)
    try:
        line = one_clear_line(run(trained, "pipeline", **FAST_FAILURE), "register")
        print(line)
        assert registry_state(stack.server.url, NAME) == before
    finally:
        stack.objects.stop()
        stack.objects.start()
    ok(run(trained, "pipeline"))
    after = registry_state(stack.server.url, NAME)
    assert len(after["versions"]) == len(before["versions"]) + 1
