"""`kill -9` of a serving bento: the next start recovers what the log had taken, counts what it
lost, and every answer older than the loss bound is in the log."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from {{ cookiecutter.package_name }}.serving.process import http, serving

LOSS_BOUND_SECONDS = 1.0  # the README's bound: only the last moment's answers may be lost


def _server_group(url: str) -> int:
    """The process group of whatever listens on the URL's port (the served bento)."""
    port = int(url.rsplit(":", 1)[-1])
    (pid,) = {c.pid for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port
              and c.status == psutil.CONN_LISTEN and c.pid}  # fmt: skip
    return os.getpgid(pid)


def test_a_killed_server_loses_only_its_last_moment(
    built: Path, rows: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "prediction-logs" / "predictions.parquet"
    monkeypatch.setenv("PREDICTION_LOG", str(log))
    record = json.loads((built / "reports" / "package.json").read_text())
    answered: list[float] = []  # when each answered request came back
    stop = threading.Event()

    def client(url: str) -> None:
        while not stop.is_set():
            try:
                status, _ = http("POST", f"{url}/predict", {"rows": rows[:1]}, timeout=5)
            except OSError:
                continue
            if status == 200:
                answered.append(time.monotonic())

    with serving(record["bento"]) as url:
        clients = [threading.Thread(target=client, args=(url,)) for _ in range(4)]
        for thread in clients:
            thread.start()
        time.sleep(3)
        killed_at = time.monotonic()
        os.killpg(_server_group(url), signal.SIGKILL)  # mid-traffic: no shutdown runs
        stop.set()
        for thread in clients:
            thread.join()
    assert len(answered) > 50, "too little traffic to prove anything"
    # Rows already in part files are logged too (seen under heavy CI load, cause not yet
    # known): the promise is about what the kill loses, wherever the rest sits.
    before = _rows(log.parent)

    with serving(record["bento"]) as url:
        status, metadata = http("GET", f"{url}/metadata")
    assert status == 200
    logged = metadata["prediction_log"]
    recovered, lost = logged["recovered_at_start"], logged["lost_before_start"]
    in_log = _rows(log.parent)
    settled = sum(at < killed_at - LOSS_BOUND_SECONDS for at in answered)
    print(f"answered {len(answered)}, in parts before {before}, recovered {recovered}, "
          f"lost {lost}, in log {in_log}")  # fmt: skip
    assert recovered > 0, "the kill left no journaled rows: recovery went untested"
    assert in_log == before + recovered >= settled, "an answer older than the bound was lost"
    assert in_log + lost >= len(answered)  # every answer is logged or counted as lost
    assert lost <= len(answered) - settled  # losses only from the last moment


def _rows(folder: Path) -> int:
    """Rows in the log's part files, each request's row once (none both written and recovered)."""
    parts = [pd.read_parquet(part) for part in folder.glob("*.parquet")]
    if not parts:
        return 0
    rows = pd.concat(parts)
    assert not rows.duplicated(["request", "row"]).any(), "a row was logged twice"
    return len(rows)
