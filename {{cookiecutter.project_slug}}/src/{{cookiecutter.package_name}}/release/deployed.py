"""The smoke test where a release runs, after its deploy commit: production takes only a staging
build that answered there (rules.answered_where_deployed).

Where it runs: `release.staging_url` / `release.production_url` in params.yaml name the service
as deployed on a cluster; the check waits up to `release.deploy_wait_seconds` for it to serve
the release's commit and model version (Argo CD syncs, then rolls out), then asks it to predict.
Without one, the environment's overlay, rendered by the pinned kustomize, runs under `podman
kube play` on this machine with the image the release pinned, and the check goes through its
published port: the manifests really run, though not on a cluster (no Service routing, no
probes). With no image (CONTAINER_ENGINE=none) nothing can run the overlay, and it says so.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import PipelineError
from ..serving.process import free_port, http, predict
from .images import answers, engine_setting
from .manifests import playable, render
from .records import ReleaseRecord
from .versions import ReleaseError

KUBE_PLAY_SECONDS = 300  # `podman kube play` itself: pulling the image, creating the pod
KUBE_PLAY_START_SECONDS = 180.0  # then loading the model, on a busy runner
NOTHING_RUNS_IT = "no image was built (CONTAINER_ENGINE=none): nothing runs the overlay"


def local_player() -> str | None:
    """podman, which can run a rendered overlay, unless CONTAINER_ENGINE says none."""
    return None if engine_setting() == "none" or not answers("podman") else "podman"


def _serving(url: str, record: ReleaseRecord, wait: float) -> None:
    """Wait until the service at `url` serves the record's commit and model version."""
    deadline, seen = time.monotonic() + wait, "no answer"
    wanted = (record.commit, str(record.model_version))
    while True:
        try:
            status, body = http("GET", f"{url}/metadata", timeout=10)
            if status == 200 and isinstance(body, dict):
                found = (str(body.get("git_commit")), str(body.get("model_version")))
                if found == wanted:
                    return
                seen = f"commit {found[0][:12]}, model version {found[1]}"
            else:
                seen = f"GET /metadata answered {status}"
        except Exception as error:  # refused, reset, not HTTP at all: all mean "not yet"
            seen = f"{type(error).__name__}: {error}"
        if time.monotonic() > deadline:
            raise ReleaseError(
                f"{url} did not serve {record.version} (commit {record.commit[:12]}, model "
                f"version {record.model_version}) within {wait:.0f}s; last seen: {seen}"
            )
        time.sleep(min(5.0, max(0.5, wait / 100)))


def _asked(url: str, record: ReleaseRecord, rows: list[dict], wait: float) -> str:
    _serving(url, record, wait)
    try:
        answer = predict(url, rows)
    except (PipelineError, OSError) as error:
        raise ReleaseError(f"{url} refused the smoke request: {error}") from None
    if str(answer["model_version"]) != str(record.model_version):
        raise ReleaseError(f"{url} answered with model version {answer['model_version']}")
    return f"{len(answer['predictions'])} predictions from model version {record.model_version}"


@contextmanager
def kube_played(engine: str, overlay: Path, suffix: str) -> Iterator[str]:
    """The overlay's manifests running under `podman kube play`; yields the published URL."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kube-play-") as scratch:
        manifest = Path(scratch) / "manifest.yaml"
        manifest.write_text(playable(render(overlay), suffix, port), encoding="utf-8")
        command = [engine, "kube", "play", "--replace", str(manifest)]
        try:
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=KUBE_PLAY_SECONDS
                )
            except subprocess.TimeoutExpired:
                raise ReleaseError(f"podman kube play took over {KUBE_PLAY_SECONDS}s") from None
            if done.returncode != 0:
                said = [line for line in (done.stdout + done.stderr).splitlines()
                        if line.strip() and "systemd" not in line and "syslog" not in line]  # fmt: skip
                raise ReleaseError(f"podman kube play failed: {' '.join(said)[-1500:]}")
            yield f"http://127.0.0.1:{port}"
        finally:
            down = [engine, "kube", "down", str(manifest)]
            subprocess.run(down, capture_output=True, timeout=120, check=False)


def check_where_deployed(
    record: ReleaseRecord,
    deploy: Path,
    rows: Callable[[], list[dict[str, Any]]],
    url: str,
    wait: float,
) -> dict[str, Any]:
    """Smoke-test the release where it runs, with `rows()`: at `url` if there is one, else its
    overlay under podman. Target, passed (None: nothing could run it), when, and what it
    answered or why not: a failed check of any kind is recorded, never raised, since the
    deploy commit is already in Git."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    environment = record.environment
    target = url or (
        f"podman kube play of deploy/overlays/{environment}" if record.image_digest else ""
    )
    if not target:
        return {"target": "", "passed": None, "at": at, "answer": NOTHING_RUNS_IT}
    try:
        if url:
            answer = _asked(url, record, rows(), wait)
        else:
            engine = local_player()
            if engine is None:
                raise ReleaseError(
                    f"no podman here to run deploy/overlays/{environment}: set "
                    f"release.{environment}_url in params.yaml to the deployed service, or run "
                    f"`make release-verify ENV={environment}` where podman is"
                )
            with kube_played(engine, deploy / "overlays" / environment, environment) as played:
                answer = _asked(played, record, rows(), KUBE_PLAY_START_SECONDS)
    except Exception as error:  # the deploy is committed: the failure must be recorded too
        reason = (
            str(error) if isinstance(error, PipelineError) else f"{type(error).__name__}: {error}"
        )
        return {"target": target, "passed": False, "at": at, "answer": reason[:1500]}
    return {"target": target, "passed": True, "at": at, "answer": answer}
