"""Servers the template's tests start on loopback: a free port, start, wait until it answers,
stop. Shared by the image registry (ci/containers.py) and the MLflow tracking server."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    command: list[str], probe: str, log: Path, timeout: float, env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run `command` (output to `log`) until the block ends; first wait for `probe` to answer."""
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited: {log.read_text()[-3000:]}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{probe} did not answer within {timeout:.0f} s") from None
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def mlflow_server(mlflow: Path, root: Path) -> Iterator[str]:
    """`mlflow server` on loopback, as a team runs it: runs in SQLite, artifacts proxied by the
    server into a folder of its own (clients see `mlflow-artifacts:/`); yields its URL."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(mlflow), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(root / "artifacts"),
    ]  # fmt: skip
    # No job runner: its task consumers (for GenAI evaluation) are a dozen idle processes here.
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    with running(command, f"{url}/health", root / "server.log", 180, env):
        yield url
