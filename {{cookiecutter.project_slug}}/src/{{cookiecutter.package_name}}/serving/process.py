"""Serve a bento (or its container image) on loopback, wait until ready, send a request, stop.

Used by `smoke`, the end-to-end tests and the demo, so all of them exercise a real
`bentoml serve` over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import PipelineError
from .names import DEFAULT_LOG


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def require_free_port(host: str, port: int, target: str = "serve") -> None:
    """Refuse at once, naming the way out (`make <target> PORT=`), when `host:port` is taken:
    `bentoml serve` would spend half a minute starting, then fail with a long traceback."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror:
        raise PipelineError(f"serving.host {host!r} is not an address of this machine") from None
    with socket.socket(family) as probe:
        # as uvicorn binds: a port left in TIME_WAIT by the last server is free to take
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PipelineError(
                f"port {port} on {host} is not free ({error.strerror}); use another with "
                f"`make {target} PORT=<port>` (the CLI's --port)"
                + (", or set serving.port in params.yaml" if target == "serve" else "")
            ) from None


def bentoml_command() -> list[str]:
    script = Path(sys.executable).with_name("bentoml")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bentoml"]


def serving_environment() -> dict[str, str]:
    """The environment for `bentoml serve`, with a relative PREDICTION_LOG made absolute.

    The service runs from inside its bento, so a relative path would put the log in the bento
    store; resolved here, it lands under the folder serving was started from.
    """
    return {**os.environ, "PREDICTION_LOG": located(Path.cwd())}


def located(root: Path) -> str:
    """Where the service logs, seen from `root`: PREDICTION_LOG (a relative path from `root`)
    or, unset or empty (a workflow's unset variable), the service's default; or "off"."""
    target = os.environ.get("PREDICTION_LOG") or DEFAULT_LOG
    if target == "off":
        return target
    return target if Path(target).is_absolute() else str(root / target)


def http(method: str, url: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
    """A tiny JSON client on the standard library: status and decoded body, errors included."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return status, raw.decode(errors="replace")


@contextmanager
def serving(
    bento: str, host: str = "127.0.0.1", port: int | None = None, timeout: float = 120
) -> Iterator[str]:
    """Run `bentoml serve` for the duration of the block; yields the base URL."""
    port = port or free_port(host)
    command = [*bentoml_command(), "serve", bento, "--host", host, "--port", str(port)]
    url = f"http://{host}:{port}"
    with run_server(command, url, "bentoml serve", timeout, env=serving_environment()) as served:
        yield served


@contextmanager
def serving_image(
    engine: str, reference: str, host: str = "127.0.0.1", timeout: float = 180
) -> Iterator[str]:
    """Run the service's container image (port 3000 inside) for the duration of the block."""
    port = free_port(host)
    name = f"smoke-{os.getpid()}-{port}"
    command = [engine, "run", "--rm", "--name", name, "-p", f"{host}:{port}:3000", reference]
    try:
        with run_server(command, f"http://{host}:{port}", f"{engine} run", timeout) as url:
            yield url
    finally:
        subprocess.run([engine, "rm", "--force", name], capture_output=True, check=False)


@contextmanager
def run_server(
    command: list[str],
    url: str,
    what: str,
    timeout: float,
    ready: str = "/readyz",
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Start `command`, wait until `url` answers `ready`, yield it, then stop the process."""
    log = Path(os.environ.get("BENTOML_HOME", ".")) / f"serve-{url.rsplit(':', 1)[-1]}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise PipelineError(
                    f"{what} exited with {process.returncode}; log:\n"
                    + log.read_text(errors="replace")[-3000:]
                )
            try:
                if http("GET", f"{url}{ready}", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise PipelineError(f"{what} not ready after {timeout:.0f}s; see {log}")
            time.sleep(0.5)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def predict(url: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """POST rows to /predict; the per-row answers, and the model version that gave them."""
    status, body = http("POST", f"{url}/predict", {"rows": rows})
    if status != 200:
        raise PipelineError(f"POST /predict answered {status}: {body}")
    if not isinstance(body, list) or len(body) != len(rows):
        raise PipelineError(f"POST /predict returned {body!r} for {len(rows)} row(s)")
    return {"model_version": body[0]["model_version"], "predictions": body}
