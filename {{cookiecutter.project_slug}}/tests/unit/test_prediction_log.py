"""The prediction log: JSON lines or Parquet, written in the background, never raising."""

import json
import time
from pathlib import Path

import pandas as pd
import pytest

# Trailing commas keep these imports split, so ruff formats them the same for any package name.
from {{ cookiecutter.package_name }}.serving import (
    log_rows,
    prediction_log,
)
from {{ cookiecutter.package_name }}.serving.prediction_log import (
    PredictionLog,
)
from {{ cookiecutter.package_name }}.serving.process import (
    serving_environment,
)
from {{ cookiecutter.package_name }}.serving.request_ids import RequestId

ROWS = [{"size": 1.5, "colour": "red"}, {"size": 2.0, "colour": "blue"}]
OUTPUTS = [
    {"prediction": 1, "probabilities": {"0": 0.2, "1": 0.8}},
    {"prediction": 0, "probabilities": {"0": 0.9, "1": 0.1}},
]


def test_json_lines_keep_inputs_outputs_version_and_time(tmp_path: Path) -> None:
    log = PredictionLog(str(tmp_path / "logs" / "predictions.jsonl"))
    log.record("7", ROWS, OUTPUTS)
    log.flush()
    records = [
        json.loads(line)
        for line in (tmp_path / "logs" / "predictions.jsonl").read_text().splitlines()
    ]
    assert [r["inputs"] for r in records] == ROWS and [r["output"] for r in records] == OUTPUTS
    assert {r["model_version"] for r in records} == {"7"} and log.written == 2 and log.dropped == 0


def test_parquet_parts_hold_the_same_records(tmp_path: Path) -> None:
    log = PredictionLog(str(tmp_path / "predictions.parquet"))
    log.record("7", ROWS, OUTPUTS)
    log.flush()
    (part,) = tmp_path.glob("predictions-*.parquet")
    frame = pd.read_parquet(part)
    assert frame["inputs.colour"].tolist() == ["red", "blue"]
    assert frame["output.prediction"].tolist() == [1, 0] and log.written == 2
    assert frame["output.probabilities.1"].tolist() == [0.8, 0.1]


def test_an_unwritable_sink_drops_and_counts_but_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    log = PredictionLog(str(blocker / "predictions.jsonl"))
    for _ in range(3):
        log.record("7", ROWS, OUTPUTS)
    log.flush()
    assert log.dropped == 6 and log.written == 0 and "Error" in log.last_error


def test_off_logs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    log = PredictionLog("off")
    log.record("7", ROWS, OUTPUTS)
    log.flush()
    assert log.sink == "off" and log.written == 0 and not list(tmp_path.iterdir())


def test_numbers_keep_their_precision(tmp_path: Path) -> None:
    log = PredictionLog(str(tmp_path / "p.jsonl"))
    log.record("7", [{"size": 1.2345678901234e-12, "colour": "red"}], OUTPUTS[:1])
    log.flush()
    (record,) = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert record["inputs"]["size"] == pytest.approx(1.2345678901234e-12, rel=1e-12)


def test_a_full_queue_drops_and_counts_instead_of_growing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prediction_log, "MAX_WAITING_ROWS", 3)
    log = PredictionLog(str(tmp_path / "p.jsonl"))
    log._waiting = 2  # as if two rows were still waiting for the writer
    log.record("7", ROWS, OUTPUTS)
    assert log.dropped == 2 and "queue is full" in log.last_error


def test_parquet_reaches_disk_on_time_under_steady_traffic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prediction_log, "FLUSH_SECONDS", 0.0)
    log = PredictionLog(str(tmp_path / "predictions.parquet"))
    log.record("7", ROWS, OUTPUTS)
    for _ in range(100):  # no flush asked: the time limit alone writes the part file
        if list(tmp_path.glob("predictions-*.parquet")):
            break
        time.sleep(0.05)
    assert len(pd.read_parquet(next(tmp_path.glob("predictions-*.parquet")))) == 2


def test_the_flush_time_counts_from_the_first_buffered_row_not_from_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server idle past FLUSH_SECONDS (a slow start, a quiet night) must not write its next
    request's row alone at once: that row waits for company, then reaches disk on time."""
    monkeypatch.setattr(prediction_log, "FLUSH_SECONDS", 1.0)
    log = PredictionLog(str(tmp_path / "predictions.parquet"))
    time.sleep(1.5)  # idle for longer than the flush time
    log.record("7", ROWS, OUTPUTS)
    time.sleep(0.6)
    log.record("7", ROWS, OUTPUTS)
    assert not list(tmp_path.glob("predictions-*.parquet")), "written before it was due"
    for _ in range(100):  # no flush asked: the time limit alone writes them
        if log.written == 4:
            break
        time.sleep(0.05)
    parts = tmp_path.glob("predictions-*.parquet")
    assert sum(len(pd.read_parquet(part)) for part in parts) == log.written == 4


def test_a_part_file_appears_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers poll the folder while the writer works: a half-written part must not show."""

    def write_half_then_fail(frame: pd.DataFrame, path: Path, **_: object) -> None:
        Path(path).write_bytes(b"PAR1")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", write_half_then_fail)
    log = PredictionLog(str(tmp_path / "predictions.parquet"))
    log.record("7", ROWS, OUTPUTS)
    log.flush()
    assert [path.name for path in tmp_path.iterdir() if "parquet" in path.name] == []
    assert not list(tmp_path.glob("*.journal")), "dropped rows stay out of the journal"
    assert log.dropped == 2 and "disk full" in log.last_error


def test_requests_waiting_together_are_written_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load one write serves many requests, each row keeping its own version."""
    writes: list[int] = []
    as_json_lines = log_rows.as_json_lines

    def slow_first_write(batches: list) -> str:
        writes.append(len(batches))
        if len(writes) == 1:
            time.sleep(0.3)  # the next requests queue up meanwhile
        return as_json_lines(batches)

    monkeypatch.setattr(log_rows, "as_json_lines", slow_first_write)
    log = PredictionLog(str(tmp_path / "p.jsonl"))
    for version in "1234":
        log.record(version, ROWS, OUTPUTS)
    log.flush()
    records = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [r["model_version"] for r in records] == list("11223344")
    assert [r["inputs"] for r in records] == ROWS * 4 and log.written == 8
    assert len(writes) <= 2 and sum(writes) == 4


def test_a_relative_log_path_is_made_absolute_for_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bentoml serve` runs from inside the bento: a relative path would land in the store."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PREDICTION_LOG", raising=False)
    default = tmp_path / "prediction-logs" / "predictions.parquet"
    assert serving_environment()["PREDICTION_LOG"] == str(default)
    monkeypatch.setenv("PREDICTION_LOG", "logs/p.jsonl")
    assert serving_environment()["PREDICTION_LOG"] == str(tmp_path / "logs" / "p.jsonl")
    for kept in ("off", "/var/log/model/p.parquet"):
        monkeypatch.setenv("PREDICTION_LOG", kept)
        assert serving_environment()["PREDICTION_LOG"] == kept
    monkeypatch.setenv("PREDICTION_LOG", "")  # a workflow's unset variable: the default
    assert serving_environment()["PREDICTION_LOG"] == str(default)


def test_parquet_parts_with_and_without_errors_read_as_one_table(tmp_path: Path) -> None:
    """The service always logs a typed `error` column, so parts share one schema."""
    log = PredictionLog(str(tmp_path / "predictions.parquet"))
    clean = pd.DataFrame({"prediction": [1, 0], "error": pd.Series([None, None], dtype="string")})
    failed = clean.assign(error=pd.Series([None, "cannot score"], dtype="string"))
    for outputs in (clean, failed):
        log.record("7", ROWS, outputs)
        log.flush()
    assert len(list(tmp_path.glob("predictions-*.parquet"))) == 2
    table = pd.read_parquet(tmp_path)
    assert table["output.error"].tolist()[-1] == "cannot score" and len(table) == 4


def test_pending_rows_join_batches_whose_columns_differ() -> None:
    """A column that only some batches have is missing in the others' rows; text stays text."""
    pending = prediction_log.PendingRows()
    numbers = pd.DataFrame({"size": [1.5, 2.0], "rooms": [3.0, 4.0]})  # one dtype: one block
    pending.add("t1", "7", numbers, {"prediction": [1, 0],
                "error": pd.array([None, None], dtype="string")}, "req-a")  # fmt: skip
    pending.add("t2", "8", ROWS[:1], OUTPUTS[:1], None)  # rows as dicts, nested probabilities
    table = pending.table()
    assert table["at"].tolist() == ["t1", "t1", "t2"]
    assert table["model_version"].tolist() == ["7", "7", "8"]
    assert table["request_id"].tolist()[:2] == ["req-a"] * 2 and pd.isna(table["request_id"][2])
    assert table["request_id"].dtype == "string" and table["row"].tolist() == [0, 1, 0]
    assert table["inputs.size"].tolist() == [1.5, 2.0, 1.5]
    assert table["inputs.rooms"].tolist()[:2] == [3.0, 4.0] and pd.isna(table["inputs.rooms"][2])
    assert pd.isna(table["inputs.colour"][0]) and table["inputs.colour"][2] == "red"
    assert table["output.probabilities.1"].tolist()[2] == 0.8
    assert table["output.error"].dtype == "string" and table["output.error"].isna().all()
    with pytest.raises(ValueError, match="2 input rows"):
        pending.add("t3", "7", ROWS, OUTPUTS[:1], None)


@pytest.mark.parametrize("sink", ["predictions.parquet", "predictions.jsonl"])
def test_each_row_keeps_its_request_id_and_place_and_refusals_are_rows(
    tmp_path: Path, sink: str
) -> None:
    """Requests merged by adaptive batching keep their own ids; a refusal has no inputs."""
    log = PredictionLog(str(tmp_path / sink))
    merged = [*ROWS, ROWS[0], *ROWS]
    outputs = [{"prediction": n} for n in range(5)]
    log.record("7", merged, outputs, ["a", "a", "b", "c", "c"])
    log.record("7", ROWS, [{"prediction": 1}] * 2, "batch-1")
    log.refused("7", "d", "400: rows[0].size: Input should be a valid number")
    log.close()
    if sink.endswith(".parquet"):
        table = pd.read_parquet(tmp_path, columns=["request_id", "row", "output.refused"])
    else:
        lines = (tmp_path / sink).read_text().splitlines()
        table = pd.json_normalize([json.loads(line) for line in lines])
    assert table["request_id"].tolist() == ["a", "a", "b", "c", "c", "batch-1", "batch-1", "d"]
    assert table["row"].tolist() == [0, 1, 0, 0, 1, 0, 1, 0]
    refused = table["output.refused"].tolist()
    assert all(pd.isna(value) for value in refused[:-1])
    assert refused[-1] == "400: rows[0].size: Input should be a valid number"


def test_a_reused_client_id_keeps_each_requests_rows_apart_and_refusals_keep_types(
    tmp_path: Path,
) -> None:
    """Two requests merged by batching that a client sent with one id: numbered by their own
    keys (0, 1 and 0, 1, not 0 to 3); a refusal's empty inputs leave number columns numbers."""
    log = PredictionLog(str(tmp_path / "predictions.parquet"))
    first, second = RequestId("same", "k1"), RequestId("same", "k2")
    log.refused("7", RequestId("x", "k0"), "400: rows.0.size: Field required")
    log.record("7", [*ROWS, *ROWS], [{"prediction": n} for n in range(4)],
               [first, first, second, second])  # fmt: skip
    log.close()
    table = pd.read_parquet(tmp_path)
    assert table["request_id"].tolist() == ["x", "same", "same", "same", "same"]
    assert table["request"].tolist() == ["k0", "k1", "k1", "k2", "k2"]
    assert table["row"].tolist() == [0, 0, 1, 0, 1]
    numbers = [name for name, value in ROWS[0].items() if isinstance(value, int | float)]
    assert numbers and all(table[f"inputs.{name}"].dtype.kind == "f" for name in numbers)
    assert table[f"inputs.{numbers[0]}"].isna().tolist() == [True, False, False, False, False]


def test_request_ids_of_another_length_are_refused_by_the_writer_not_the_caller(
    tmp_path: Path,
) -> None:
    log = PredictionLog(str(tmp_path / "predictions.parquet"))
    log.record("7", ROWS, OUTPUTS, ["only-one"])  # never raises on the request's path
    log.close()
    assert log.dropped == 2 and "request ids" in log.last_error
