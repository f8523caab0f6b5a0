"""data/manifest.json: one version per change of the data, each naming its parent."""

import json
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.data_versions import (
    REFERENCE_ROWS,
    file_sha256,
    reference_sample,
)
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.stages import extract

from ..conftest import write_params


def _extract(root: Path, source: str) -> dict:
    params = load_params(write_params(root, **{"data.source": source}))
    return extract.run(params, Layout(root))


@pytest.fixture
def frame(project) -> pd.DataFrame:
    params, layout = project
    return extract.load_source(params.data, layout.root).head(200)


def test_first_snapshot_then_unchanged_then_a_child(workdir: Path, frame) -> None:
    frame.to_csv(workdir / "data.csv", index=False)
    first = _extract(workdir, "data.csv")
    manifest_path = Layout(workdir).data_manifest
    manifest = json.loads(manifest_path.read_text())
    assert first["new_version"] and manifest["parent"] is None
    assert manifest["sha256"] == file_sha256(workdir / "data.csv") == first["sha256"]
    assert manifest["hash_of"] == "file" and manifest["rows"] == 200
    assert set(manifest["schema"]) == set(frame.columns) and "changed" not in manifest
    written = manifest_path.read_text()
    again = _extract(workdir, "data.csv")  # same bytes: the committed manifest stays as it is
    assert not again["new_version"] and manifest_path.read_text() == written
    frame.head(150).to_csv(workdir / "data.csv", index=False)
    child = _extract(workdir, "data.csv")
    newer = json.loads(manifest_path.read_text())
    assert child["new_version"] and newer["parent"] == manifest["sha256"] != newer["sha256"]
    assert newer["rows"] == 150


def test_the_same_table_in_another_format_is_another_file_with_the_same_values(
    workdir: Path, frame
) -> None:
    frame = frame.round(4)  # values a CSV holds exactly (its parser may move a 17th digit)
    frame.to_csv(workdir / "data.csv", index=False)
    frame.to_parquet(workdir / "data.parquet", index=False)
    as_csv = _extract(workdir, "data.csv")
    as_parquet = _extract(workdir, "data.parquet")
    assert as_csv["sha256"] != as_parquet["sha256"]
    assert as_csv["content_sha256"] == as_parquet["content_sha256"]
    assert as_parquet["parent"] == as_csv["sha256"]


@pytest.mark.parametrize(
    "broken", ["{not json", "[]", '{"rows": 3}', "\udcff", '"text"', '{"sha256": "abc"}', ""]
)
def test_a_broken_manifest_is_named_and_kept(workdir: Path, frame, broken: str) -> None:
    frame.to_csv(workdir / "data.csv", index=False)
    manifest_path = Layout(workdir).data_manifest
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_bytes(broken.encode("utf-8", "surrogateescape"))
    with pytest.raises(PipelineError, match=r"data/manifest\.json.*(restore|delete)"):
        _extract(workdir, "data.csv")
    assert manifest_path.read_bytes() == broken.encode("utf-8", "surrogateescape")


def test_the_reference_is_bounded_and_drawn_with_the_seed() -> None:
    train = pd.DataFrame({"x": range(REFERENCE_ROWS * 3), "label": 1})
    reference = reference_sample(train, seed=4)
    assert len(reference) == REFERENCE_ROWS and reference.equals(reference_sample(train, 4))
    assert not reference.equals(reference_sample(train, 5))
    assert len(reference_sample(train.head(10), 4)) == 10
