import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.pipeline import run_stage
from {{ cookiecutter.package_name }}.stages import analyse, prepare

from ..conftest import CLASSIFICATION, TASK


def test_profile_describes_data_and_label(project) -> None:
    params, layout = project
    run_stage("extract", params, layout)
    report = run_stage("analyse", params, layout)
    assert layout.profile.is_file()
    assert report["rows"] > 100
    assert report["features"] == report["columns"] - 1
    assert report["missing_share"] == 0.0
    if CLASSIFICATION:
        assert set(report["label"]["classes"]) == {"0", "1"}
        assert 0 < report["label"]["minority_share"] <= 0.5
    else:
        assert {"mean", "std", "min", "max"} <= set(report["label"])


def test_profile_counts_missing_values() -> None:
    frame = pd.DataFrame({"a": [1.0, None, 3.0, None], "target": [0, 1, 0, 1]})
    report = analyse.profile(frame, "target", TASK)
    assert report["missing"] == {"a": 2}


def test_split_is_deterministic_and_disjoint(project) -> None:
    params, layout = project
    run_stage("extract", params, layout)
    frame = pd.read_parquet(layout.raw_data)
    first_train, first_test = prepare.split(frame, params)
    again_train, again_test = prepare.split(frame, params)
    pd.testing.assert_frame_equal(first_train, again_train)
    pd.testing.assert_frame_equal(first_test, again_test)
    assert len(first_train) + len(first_test) == len(frame)
    assert len(first_test) == pytest.approx(len(frame) * params.split.test_size, abs=1)


def test_stage_without_its_input_names_the_stage_to_run(project) -> None:
    params, layout = project
    with pytest.raises(PipelineError, match="run the 'extract' stage first"):
        run_stage("prepare", params, layout)
    with pytest.raises(PipelineError, match="run the 'prepare' stage first"):
        run_stage("train", params, layout)


def test_too_few_rows_is_refused(project) -> None:
    params, _ = project
    tiny = pd.DataFrame({"a": range(5), "target": [0, 1, 0, 1, 0]})
    with pytest.raises(PipelineError, match="need at least"):
        prepare.split(tiny, params)
