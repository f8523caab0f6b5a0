from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.data_versions import content_hash
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.stages import extract

from ..conftest import write_params


def test_sample_is_written_with_its_hash(project) -> None:
    params, layout = project
    meta = extract.run(params, layout)
    frame = pd.read_parquet(layout.raw_data)
    assert meta["rows"] == len(frame) > 100
    assert params.data.target in frame.columns
    assert meta["sha256"] == content_hash(frame) and meta["hash_of"] == "values"
    assert len(meta["sha256"]) == 64


def test_hash_changes_with_content_only(project) -> None:
    params, _ = project
    frame = extract.load_source(params.data, Path())
    assert content_hash(frame) == content_hash(frame.copy())
    changed = frame.copy()
    changed.iloc[0, 0] = changed.iloc[0, 0] + 1
    assert content_hash(changed) != content_hash(frame)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_file_source_replaces_sample(workdir: Path, project, suffix: str) -> None:
    params, _ = project
    frame = extract.load_source(params.data, workdir).head(60)
    path = workdir / f"mine{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path, index=False)
    custom = load_params(write_params(workdir, **{"data.source": path.name}))
    meta = extract.run(custom, Layout(workdir))
    assert meta["rows"] == 60
    assert meta["source"] == path.name


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("sklearn:nope", "unknown sample"),
        ("absent.csv", "file not found"),
        ("data.txt", "must end in .csv or .parquet"),
        ("empty.csv", "cannot read|no rows"),
        ("garbage.parquet", "cannot read"),
    ],
)
def test_bad_sources_are_explained(workdir: Path, source: str, message: str) -> None:
    (workdir / "data.txt").write_text("a,b\n1,2\n", encoding="utf-8")
    (workdir / "empty.csv").write_text("", encoding="utf-8")
    (workdir / "garbage.parquet").write_bytes(b"not parquet at all")
    params = load_params(write_params(workdir, **{"data.source": source}))
    with pytest.raises(PipelineError, match=message):
        extract.run(params, Layout(workdir))


def test_missing_target_lists_columns(workdir: Path) -> None:
    pd.DataFrame({"a": np.arange(30), "b": np.arange(30)}).to_csv(workdir / "x.csv", index=False)
    params = load_params(write_params(workdir, **{"data.source": "x.csv"}))
    with pytest.raises(PipelineError, match=r"column\(s\) \['target'\].*available: a, b"):
        extract.run(params, Layout(workdir))


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (pd.date_range("2024-01-01", periods=30), "hold dates"),
        (["same"] * 30, "single class|regression needs numbers"),
    ],
    ids=["datetime-feature", "unusable-label"],
)
def test_unusable_columns_are_explained(workdir: Path, column, message: str) -> None:
    frame = pd.DataFrame({"a": np.arange(30.0), "target": [0, 1] * 15})
    if message == "hold dates":
        frame["when"] = column
    else:
        frame["target"] = column
    frame.to_parquet(workdir / "x.parquet", index=False)
    params = load_params(write_params(workdir, **{"data.source": "x.parquet"}))
    with pytest.raises(PipelineError, match=message):
        extract.run(params, Layout(workdir))
