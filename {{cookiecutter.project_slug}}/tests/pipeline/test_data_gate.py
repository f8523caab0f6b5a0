"""The data gate stops bad data before training, naming the check: one test per kind of fault.

Each case builds its bad data from the sample (plus a text column, so categories are in the
contract too), runs the stages up to the data gate, and asserts which check failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.errors import GateFailedError, PipelineError
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.pipeline import run_stage

from ..conftest import CLASSIFICATION, write_params

UP_TO_THE_GATE = ("extract", "analyse", "prepare", "validate_data")
TARGET = "target"
Fault = Callable[[pd.DataFrame], pd.DataFrame]
SplitFault = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]  # (test, train) -> test


def _features(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in (TARGET, "segment") and frame[c].dtype.kind == "f"]


def _rows(frame: pd.DataFrame, share: float, seed: int = 0) -> pd.Index:
    return frame.sample(frac=share, random_state=seed).index


def _run_gate(
    root: Path, source: str, contract: Path, test_fault: SplitFault | None = None, **overrides
):
    params = load_params(
        write_params(
            root, **{"data.source": source, "validation.contract": str(contract), **overrides}
        )
    )
    layout = Layout(root)
    for stage in UP_TO_THE_GATE:
        if stage == "validate_data" and test_fault is not None:
            test, train = (pd.read_parquet(path) for path in (layout.test_data, layout.train_data))
            test_fault(test, train).to_parquet(layout.test_data, index=False)
        result = run_stage(stage, params, layout)
    return result, layout


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """The sample plus a text column, and the contract a first run writes from it."""
    root = tmp_path_factory.mktemp("clean")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    params = load_params(write_params(root))
    layout = Layout(root)
    run_stage("extract", params, layout)
    frame = pd.read_parquet(layout.raw_data)
    first = _features(frame)[0]
    frame["segment"] = np.where(frame[first] > frame[first].median(), "high", "low")
    frame.to_parquet(root / "clean.parquet", index=False)
    contract = root / "contract.json"
    report, _ = _run_gate(root, "clean.parquet", contract)
    first = {c.check: c.status for c in report.checks if c.suite == "Data Contract"}
    assert first == {"Servable Values": "passed", "(suite)": "not run"}
    assert contract.is_file()  # written from data the whole gate passed
    report, _ = _run_gate(root, "clean.parquet", contract)  # now checked against it
    assert report.passed, [check.name for check in report.failed]
    assert {c.suite for c in report.checks if c.status == "passed"} >= {
        "Data Contract", "Near Duplicates", "Data Integrity", "Train Test Validation"
    }  # fmt: skip
    monkeypatch.undo()
    return frame, contract


def with_missing(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[_rows(frame, 0.4), _features(frame)[0]] = np.nan
    return frame


def with_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.loc[_rows(frame, 0.3)]], ignore_index=True)


def with_leak(frame: pd.DataFrame) -> pd.DataFrame:
    frame[_features(frame)[0]] = frame[TARGET].astype("float64")
    return frame


def without_a_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[_features(frame)[0]])


def with_a_renamed_column(frame: pd.DataFrame) -> pd.DataFrame:
    first = _features(frame)[0]
    return frame.rename(columns={first: f"{first} (renamed)"})


def with_another_type(frame: pd.DataFrame) -> pd.DataFrame:
    first = _features(frame)[0]
    frame[first] = "v" + frame[first].round(2).astype(str)
    return frame


def with_an_unseen_category(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[_rows(frame, 0.1), "segment"] = "medium"
    return frame


def with_strings_in_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    first = _features(frame)[0]
    frame[first] = frame[first].astype(object)
    frame.loc[_rows(frame, 0.05), first] = "unknown"
    return frame


def with_infinities(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[_rows(frame, 0.02), _features(frame)[1]] = np.inf
    return frame


def with_a_unit_change_in_part_of_the_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Both splits carry it alike, so train-test drift cannot see it; the learned range can."""
    frame.loc[_rows(frame, 0.3), _features(frame)[:3]] *= 10
    return frame


def with_a_constant_label(frame: pd.DataFrame) -> pd.DataFrame:
    frame[TARGET] = frame[TARGET].iloc[0]
    return frame


def with_an_imbalanced_label(frame: pd.DataFrame) -> pd.DataFrame:
    rare = frame[TARGET].value_counts().idxmin()
    drop = frame[frame[TARGET] == rare].index[5:]  # keep 5 rows of the rarer class
    return frame.drop(index=drop)


def _jittered(frame: pd.DataFrame, columns: list[str], relative: float, absolute: float):
    rng = np.random.default_rng(1)
    for column in columns:
        noise = rng.uniform(-1, 1, len(frame))
        frame[column] = frame[column] * (1 + relative * noise) + absolute * noise
    return frame


def with_jittered_copies(frame: pd.DataFrame) -> pd.DataFrame:
    """Copies of 30% of the rows, every number off by a relative 1e-9."""
    copies = _jittered(frame.loc[_rows(frame, 0.3)].copy(), _features(frame), 1e-9, 0.0)
    return pd.concat([frame, copies], ignore_index=True)


def with_copies_jittered_in_one_column(frame: pd.DataFrame) -> pd.DataFrame:
    """Copies off by an absolute 1e-7 in one number, and in the text only by case."""
    copies = _jittered(frame.loc[_rows(frame, 0.3)].copy(), _features(frame)[:1], 0.0, 1e-7)
    copies["segment"] = copies["segment"].str.upper() + " "
    return pd.concat([frame, copies], ignore_index=True)


def with_train_twins_in_test(test: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """A fifth of the test rows replaced by jittered copies of train rows."""
    twins = _jittered(train.sample(len(test) // 5, random_state=2), _features(train), 1e-9, 0.0)
    return pd.concat([test.iloc[len(twins) :], twins], ignore_index=True)


def _huge(value: float) -> Fault:
    def fault(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[_rows(frame, 0.01), _features(frame)[1]] = value
        return frame

    return fault


def with_huge_integers(frame: pd.DataFrame) -> pd.DataFrame:
    first = _features(frame)[0]
    frame[first] = (frame[first] * 1000).round().astype("int64")
    frame.loc[_rows(frame, 0.01), first] = 2**60
    return frame


def with_overlong_text(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[_rows(frame, 0.01), "segment"] = "high" * 2_600
    return frame


def drifted(test: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    for column in _features(test)[:3]:
        test[column] = test[column] + 3 * test[column].std()
    return test


def with_one_conflicting_label(frame: pd.DataFrame) -> pd.DataFrame:
    """Row 1 becomes row 0's twin in every feature, under the other label."""
    other = frame.loc[frame[TARGET] != frame.loc[0, TARGET]].index[0]
    frame.loc[other, frame.columns != TARGET] = frame.loc[0, frame.columns != TARGET].to_numpy()
    return frame


def with_a_category_only_in_test(test: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    test.loc[test.index[0], "segment"] = "medium"
    return test


def with_a_label_only_in_test(test: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    test.loc[test.index[0], TARGET] = train[TARGET].max() + 1
    return test


# A single row fails these: they count every row, whatever deepchecks' sample holds.
ONE_ROW = {
    "one pair of conflicting labels": (with_one_conflicting_label, "Conflicting Labels", None),
    "a category only in test": (None, "New Category Train-Test", with_a_category_only_in_test),
    "a label only in test": (None, "New Label Train-Test", with_a_label_only_in_test),
}
CLASSIFICATION_ONLY = {"imbalanced label", "one pair of conflicting labels", "a label only in test"}

CASES = {
    "missing values": (with_missing, "PercentOfNulls", None),
    "duplicated rows": (with_duplicates, "Data Duplicates", None),
    "label leak": (with_leak, "Feature Label Correlation", None),
    "train/test drift": (None, "Feature Drift", drifted),
    "column missing": (without_a_column, "Data Contract / Columns", None),
    "column renamed": (with_a_renamed_column, "Data Contract / Columns", None),
    "column of another type": (with_another_type, "Data Contract / Types", None),
    "unseen category": (with_an_unseen_category, "Data Contract / Categories", None),
    "strings in a numeric column": (with_strings_in_numbers, "Data Contract / Types", None),
    "a unit change in part of the rows": (
        with_a_unit_change_in_part_of_the_rows,
        "Data Contract / Ranges",
        None,
    ),
    "infinities": (with_infinities, "Data Contract / Servable Values", None),
    "beyond the service's bound": (_huge(1e20), "Data Contract / Servable Values", None),
    "integers beyond 2^53": (with_huge_integers, "Data Contract / Servable Values", None),
    "text beyond the service's length": (with_overlong_text, "Servable Values", None),
    "jittered copies": (with_jittered_copies, "Near Duplicates / Near Duplicates", None),
    "copies jittered in one column": (
        with_copies_jittered_in_one_column,
        "Near Duplicates / Near Duplicates",
        None,
    ),
    "twins of train rows in test": (None, "Near Train-Test Mix", with_train_twins_in_test),
    "imbalanced label": (with_an_imbalanced_label, "Class Imbalance", None),
    **ONE_ROW,
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_data_fails_the_named_check(case: str, clean, workdir: Path) -> None:
    if case in CLASSIFICATION_ONLY and not CLASSIFICATION:
        pytest.skip("applies to classification labels only")
    fault, check, test_fault = CASES[case]
    frame, contract = clean
    bad = fault(frame.copy()) if fault else frame.copy()
    bad.to_csv(workdir / "bad.csv", index=False)  # as data usually arrives
    with pytest.raises(GateFailedError, match=check) as failure:
        _run_gate(workdir, "bad.csv", contract, test_fault)
    gates = json.loads(Layout(workdir).gates.read_text(encoding="utf-8"))
    assert gates["passed"] is False and gates["complete"] is False
    assert any(check in name for name in failure.value.failed)
    if check.split(" / ")[-1] in {"Columns", "Types", "Categories"}:  # the way on, printed
        assert "To go on: " in str(failure.value) and f"delete {contract}" in str(failure.value)
    if check == "Data Contract / Columns":  # data.drop is the way for an unexpected column
        assert ("data.drop in params.yaml" in str(failure.value)) == (case == "column renamed")
    statuses = {c["suite"]: c["status"] for c in gates["checks"] if c["suite"].startswith("Model")}
    assert statuses == {"Model Evaluation": "not run", "Model Floor": "not run"}
    assert {c["status"] for c in gates["checks"] if c["suite"] == "Champion"} == {"not run"}


@pytest.mark.parametrize("case", list(ONE_ROW))
def test_one_bad_row_fails_though_deepchecks_sees_a_sample(case: str, clean, workdir) -> None:
    """With deepchecks on 100 of the rows, the one bad row is still found, and the report says
    which suites saw a sample."""
    if case in CLASSIFICATION_ONLY and not CLASSIFICATION:
        pytest.skip("applies to classification labels only")
    fault, check, test_fault = ONE_ROW[case]
    frame, contract = clean
    (fault(frame.copy()) if fault else frame).to_parquet(workdir / "bad.parquet", index=False)
    with pytest.raises(GateFailedError, match=check):
        _run_gate(workdir, "bad.parquet", contract, test_fault, **{"validation.max_rows": 100})
    samples = json.loads(Layout(workdir).gates.read_text(encoding="utf-8"))["samples"]
    assert f"a random sample of 100 of {len(frame):,} rows" in samples["data_integrity"]


@pytest.mark.parametrize("value", [-1e39, 1e300])  # past float32; 1e20, inf: CASES
def test_unservable_values_are_named_even_before_any_contract(value: float, clean, workdir) -> None:
    """The first run of a project refuses them too, names the column, and writes no contract
    from the data it rejected, so the clean data that follows is not refused by it."""
    frame, _ = clean
    bad = _huge(value)(frame.copy())
    bad.to_parquet(workdir / "bad.parquet", index=False)
    contract = workdir / "new-contract.json"
    with pytest.raises(GateFailedError, match="Servable Values") as failure:
        _run_gate(workdir, "bad.parquet", contract)
    assert f"{_features(frame)[1]!r} has" in str(failure.value)  # the details, on the console
    gates = json.loads(Layout(workdir).gates.read_text(encoding="utf-8"))
    (detail,) = [c["details"] for c in gates["checks"] if c["check"] == "Servable Values"]
    assert f"{_features(frame)[1]!r} has {len(_rows(frame, 0.01))} value(s)" in detail
    assert not contract.exists()
    frame.to_parquet(workdir / "clean.parquet", index=False)
    report, _ = _run_gate(workdir, "clean.parquet", contract)
    assert report.passed and contract.is_file()


def test_a_constant_label_stops_before_training(clean, workdir: Path) -> None:
    frame, contract = clean
    with_a_constant_label(frame.copy()).to_parquet(workdir / "bad.parquet", index=False)
    with pytest.raises(PipelineError, match=r"single class|Data Contract / Label"):
        _run_gate(workdir, "bad.parquet", contract)
    assert not Layout(workdir).model.exists()


def test_thresholds_come_from_params(clean, workdir: Path) -> None:
    """Relaxing the documented threshold lets the same data through: no code change."""
    frame, contract = clean
    with_duplicates(frame.copy()).to_parquet(workdir / "dup.parquet", index=False)
    relaxed = {"validation.data_integrity.max_duplicate_ratio": 0.5,
               "validation.train_test.max_train_test_mix_ratio": 0.5}  # fmt: skip
    params = load_params(
        write_params(workdir, **{"data.source": "dup.parquet",
                                 "validation.contract": str(contract), **relaxed})
    )  # fmt: skip
    layout = Layout(workdir)
    for stage in UP_TO_THE_GATE:
        report = run_stage(stage, params, layout)
    assert report.passed, [check.name for check in report.failed]


def test_a_broken_contract_file_is_explained(workdir: Path, clean) -> None:
    broken = workdir / "contract.json"
    broken.write_text("{not json", encoding="utf-8")
    frame, _ = clean
    frame.to_parquet(workdir / "data.parquet", index=False)
    with pytest.raises(PipelineError, match="not valid JSON"):
        _run_gate(workdir, "data.parquet", broken)
