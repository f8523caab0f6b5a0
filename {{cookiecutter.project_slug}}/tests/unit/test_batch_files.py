"""Batch scoring's files: input read a chunk at a time, predictions named only once whole."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.batch.chunks import chunks, parts
from {{ cookiecutter.package_name }}.batch.outputs import PredictionsFile
from {{ cookiecutter.package_name }}.errors import PipelineError

FRAME = pd.DataFrame({"size": [0.5 * i for i in range(10)], "colour": ["red", "blue"] * 5})


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_is_read_in_chunks_with_each_ones_place(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"in{suffix}"
    FRAME.to_csv(path, index=False) if suffix == ".csv" else FRAME.to_parquet(path, index=False)
    read = list(chunks(path, 4))
    assert [chunk.start for chunk in read] == [0, 4, 8]
    assert [len(chunk.frame) for chunk in read] == [4, 4, 2]
    joined = pd.concat([chunk.frame for chunk in read], ignore_index=True)
    assert joined["colour"].tolist() == FRAME["colour"].tolist()
    if suffix == ".csv":  # as the service reads an upload: every cell as sent
        assert joined["size"].tolist() == [str(value) for value in FRAME["size"]]


def test_a_folder_is_its_csv_and_parquet_files_in_name_order(tmp_path: Path) -> None:
    for name in ("b.parquet", "a.csv", ".hidden.csv", "notes.txt", ".c.parquet.partial"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "sub.csv").mkdir()
    assert [path.name for path in parts(tmp_path)] == ["a.csv", "b.parquet"]
    assert parts(tmp_path / "a.csv") == [tmp_path / "a.csv"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(PipelineError, match=r"no \.csv or \.parquet file"):
        parts(tmp_path / "empty")
    with pytest.raises(PipelineError, match="no such file or folder"):
        parts(tmp_path / "gone")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"size,colour\n1,red\n2,blue,extra\n", "Expected 2 fields in line 3, saw 3"),
        (b"PAR1 not really parquet", "not a readable CSV or Parquet table"),
        (b"size,colour\n\xff\xfe,red\n", "neither Parquet nor UTF-8 CSV"),
    ],
    ids=["a long row", "a damaged Parquet file", "not UTF-8"],
)
def test_an_unreadable_file_is_named(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(PipelineError, match=f"{re.escape(str(path))}: .*{re.escape(message)}"):
        list(chunks(path, 100))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predictions_appear_only_whole(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    first = pd.DataFrame({"id": ["a", "b"], "prediction": [1.0, 2.0], "error": [None, None]})
    second = pd.DataFrame({"id": ["c"], "prediction": [None], "error": ["cannot score"]})
    with PredictionsFile(path) as out:
        out.write(first)
        assert not path.exists()  # a reader never sees half of it
        out.write(second)
    read = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    assert read["id"].tolist() == ["a", "b", "c"] and read["error"].iloc[2] == "cannot score"
    assert read["prediction"].dtype.kind == "f"  # one type across chunks
    with pytest.raises(RuntimeError), PredictionsFile(path) as out:
        out.write(first.iloc[:1])
        raise RuntimeError("the run failed")
    assert len(pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no partial left


def test_an_output_that_is_not_csv_or_parquet_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"name a \.csv or \.parquet file"):
        PredictionsFile(tmp_path / "out.json")


def test_a_stored_parquet_index_is_not_a_column(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    FRAME.set_index(FRAME.index * 3).to_parquet(path)  # not a range: pandas stores it
    (chunk,) = list(chunks(path, 100))
    assert list(chunk.frame.columns) == list(FRAME.columns)
