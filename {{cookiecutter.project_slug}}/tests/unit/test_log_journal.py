"""A killed server's prediction log: journaled rows recovered by the next start, the rows it
lost counted from its counters, a live server's journal left alone."""

import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

# Trailing commas keep these imports split, so ruff formats them the same for any package name.
from {{ cookiecutter.package_name }}.serving.prediction_log import (
    PredictionLog,
)

# A server's log: `journaled` rows taken by the writer (journaled; no part file is due for
# FLUSH_SECONDS), then `stuck` more accepted while the writer is stuck; then it waits to be
# killed.
SERVER = """
import sys, threading, time
from {{ cookiecutter.package_name }}.serving import prediction_log
log = prediction_log.PredictionLog(sys.argv[1])
rows = [{"size": 1.5, "colour": "red"}]
for n in range(int(sys.argv[2])):
    log.record("7", rows, [{"prediction": n}])
    time.sleep(0.6 if n % 5 == 4 else 0.01)  # a journal entry per 5 rows
time.sleep(0.5)
stuck = threading.Event()
log._write = lambda batches, final: stuck.wait()
for n in range(int(sys.argv[3])):
    log.record("7", rows, [{"prediction": -1}])
time.sleep(0.5)
print("ready", flush=True)
time.sleep(120)
"""


def _killed_server(log: Path, journaled: int, stuck: int) -> int:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(log), str(journaled), str(stuck)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    server.send_signal(signal.SIGKILL)  # no atexit, no flush, no close
    server.wait()
    return server.pid


def _parts(log: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(part) for part in sorted(log.parent.glob("*.parquet"))])


@pytest.mark.parametrize(("journaled", "stuck"), [(10, 7), (0, 3)])
def test_the_next_start_recovers_journaled_rows_and_counts_the_lost(
    tmp_path: Path, journaled: int, stuck: int
) -> None:
    path = tmp_path / "logs" / "predictions.parquet"
    pid = _killed_server(path, journaled, stuck)
    assert not list(path.parent.glob("*.parquet")), "nothing reached a part file before the kill"
    log = PredictionLog(str(path))
    status = log.status()
    assert (status["recovered_at_start"], status["lost_before_start"]) == (journaled, stuck)
    if journaled:
        parts = _parts(path)
        assert parts["output.prediction"].tolist() == list(range(journaled))
        regular = PredictionLog(str(tmp_path / "regular" / "predictions.parquet"))
        regular.record("7", [{"size": 1.5, "colour": "red"}], [{"prediction": 0}])
        regular.close()
        assert parts.dtypes.to_dict() == _parts(regular.path).dtypes.to_dict()
        assert all(f"-{pid}-" in part.name for part in path.parent.glob("*.parquet"))
    assert not [p.name for p in path.parent.iterdir() if p.suffix in {".journal", ".counts"}
                and str(pid) in p.name]  # fmt: skip
    log.close()
    assert PredictionLog(str(path)).status()["recovered_at_start"] == 0  # recovered once


def test_a_journal_torn_by_the_kill_keeps_its_whole_entries(tmp_path: Path) -> None:
    path = tmp_path / "predictions.parquet"
    _killed_server(path, 10, 0)
    (journal,) = path.parent.glob(".*.journal")
    journal.write_bytes(journal.read_bytes()[:-20])  # the last entry half on disk
    status = PredictionLog(str(path)).status()
    assert status["recovered_at_start"] == 5 and status["lost_before_start"] == 5


def test_a_live_server_s_journal_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "predictions.parquet"
    alive = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(path), "5", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert alive.stdout is not None and alive.stdout.readline().strip() == "ready"
        status = PredictionLog(str(path)).status()
        assert status["recovered_at_start"] == 0 and status["lost_before_start"] == 0
        assert list(path.parent.glob(f".*-{alive.pid}-*.journal"))
    finally:
        alive.kill()
        alive.wait()


def test_a_clean_stop_leaves_no_journal(tmp_path: Path) -> None:
    path = tmp_path / "predictions.parquet"
    log = PredictionLog(str(path))
    log.record("7", [{"size": 1.0}], [{"prediction": 1}])
    log.close()
    assert [p.suffix for p in tmp_path.iterdir()] == [".parquet"]
    assert PredictionLog(str(path)).status()["lost_before_start"] == 0
