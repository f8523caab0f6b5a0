"""The data gate against the champion's training reference: a change that hits the whole new
snapshot (so both of its splits agree) is still refused, naming the columns.

One module-wide store holds a registered model with @production (conftest.py); each test brings a new
snapshot of its own and runs the stages up to the data gate against that store.
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.errors import GateFailedError
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.pipeline import run_stage

from ..conftest import TARGET, write_params

TO_THE_GATE = ("extract", "prepare", "validate_data")
SHIFTED = 3  # columns a drift case changes


def _columns(frame: pd.DataFrame) -> list[str]:
    """The float features a drift case changes: the most varied ones, so the change shows."""
    floats = [c for c in frame.columns if c != TARGET and frame[c].dtype.kind == "f"]
    return sorted(floats, key=lambda c: frame[c].nunique(), reverse=True)[:SHIFTED]


def _gate(root: Path, champion_root: Path, frame: pd.DataFrame, **overrides):
    """The stages up to the data gate on `frame`, against the champion's store and contract."""
    frame.to_csv(root / "new.csv", index=False)  # as new data usually arrives
    settings = {
        "data.source": "new.csv",
        "validation.contract": str(champion_root / "data" / "contract.json"),
        "mlflow.tracking_uri": f"sqlite:///{champion_root / 'mlflow.db'}",
        **overrides,
    }
    params, layout = load_params(write_params(root, **settings)), Layout(root)
    for stage in TO_THE_GATE:
        report = run_stage(stage, params, layout)
    return report


def _checks(root: Path) -> dict[str, dict]:
    gates = json.loads(Layout(root).gates.read_text(encoding="utf-8"))
    return {f"{c['suite']} / {c['check']}": c for c in gates["checks"]}


def unit_change_in_part_of_the_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A third of the rows sent in other units (x10), spread over both splits alike."""
    rows = frame.sample(frac=0.3, random_state=1).index
    changed = frame.copy()
    for column in _columns(frame):
        changed.loc[rows, column] = changed.loc[rows, column] * 10
    return changed


def squeezed_within_the_range(frame: pd.DataFrame) -> pd.DataFrame:
    """Values pulled towards each column's minimum: every one still inside the agreed range."""
    changed = frame.copy()
    for column in _columns(frame):
        low = frame[column].min()
        changed[column] = low + (frame[column] - low) * 0.3
    return changed


REFUSING = {"Data Contract / Ranges", "Reference Drift / Feature Drift"}


@pytest.mark.parametrize(
    ("fault", "refused_by"),
    [
        # ranges see it always; drift too where the values are not centred on zero
        (unit_change_in_part_of_the_rows, {"Data Contract / Ranges"}),
        (squeezed_within_the_range, {"Reference Drift / Feature Drift"}),  # within the ranges
    ],
)
def test_a_snapshot_drifted_from_the_reference_is_refused_though_its_splits_agree(
    fault, refused_by: set[str], registered, workdir: Path
) -> None:
    champion_root, frame = registered
    with pytest.raises(GateFailedError) as failure:
        _gate(workdir, champion_root, fault(frame))
    checks = _checks(workdir)
    failed = {name for name, check in checks.items() if check["status"] == "failed"}
    assert refused_by <= failed <= REFUSING, failed
    assert all(any(name in line for line in failure.value.failed) for name in failed)
    for name in failed:  # each failed check names every changed column
        details = checks[name]["details"]
        assert all(repr(column) in details for column in _columns(frame)), details
    if "Reference Drift / Feature Drift" in failed:
        assert (
            f"Failed for {SHIFTED} out of" in checks["Reference Drift / Feature Drift"]["details"]
        )
    split = [c for c in checks.values() if c["suite"] == "Train Test Validation"]
    assert split and all(c["status"] == "passed" for c in split)  # both splits carry it alike
    report = Layout(workdir).deepchecks / "reference_drift.html"
    assert "Feature Drift" in report.read_text(encoding="utf-8")


def test_the_same_population_passes_and_the_report_names_the_reference(
    registered, workdir: Path
) -> None:
    champion_root, frame = registered
    report = _gate(workdir, champion_root, frame.sample(frac=0.9, random_state=3))
    assert report.passed, [check.name for check in report.failed]
    checks = _checks(workdir)
    assert checks["Reference Drift / Feature Drift"]["status"] == "passed"
    assert checks["Reference Drift / Label Drift"]["status"] == "passed"
    assert checks["Data Contract / Ranges"]["status"] == "passed"
    gates = json.loads(Layout(workdir).gates.read_text(encoding="utf-8"))
    assert gates["samples"]["reference_drift"].startswith("reference: version 1 (@production)")


def test_thresholds_come_from_params(registered, workdir: Path) -> None:
    champion_root, frame = registered
    relaxed = {"validation.reference.max_drifted_features": 30,
               "validation.reference.max_out_of_range_ratio": 1.0}  # fmt: skip
    report = _gate(workdir, champion_root, unit_change_in_part_of_the_rows(frame), **relaxed)
    assert report.passed, [check.name for check in report.failed]


def _alias_without_a_good_reference(champion_root: Path, alias: str, sample: bytes | None) -> str:
    """A version of the model on a run whose reference/ holds `sample` (none: no artifacts)."""
    client = mlflow.MlflowClient(f"sqlite:///{champion_root / 'mlflow.db'}")
    name = load_params(write_params(champion_root / alias)).registry.model_name
    first = client.get_model_version(name, "1")
    experiment = client.get_run(first.run_id).info.experiment_id
    run = client.create_run(experiment).info.run_id
    if sample is not None:
        folder = champion_root / alias / "reference"
        folder.mkdir(parents=True)
        (folder / "sample.parquet").write_bytes(sample)
        client.log_artifacts(run, str(folder), artifact_path="reference")
    version = client.create_model_version(name, first.source, run_id=run)
    client.set_registered_model_alias(name, alias, version.version)
    return alias


def test_a_champion_without_a_stored_reference_is_said(registered, workdir: Path) -> None:
    """A version registered before references were kept: checked within itself, and said."""
    champion_root, frame = registered
    alias = _alias_without_a_good_reference(champion_root, "bare", None)
    report = _gate(workdir, champion_root, frame, **{"validation.model.champion.alias": alias})
    assert report.passed
    (said,) = [c for c in report.checks if c.suite == "Reference Drift"]
    assert said.status == "not run" and "has no stored reference" in said.details


def test_a_damaged_reference_fails_the_gate(registered, workdir: Path) -> None:
    champion_root, frame = registered
    alias = _alias_without_a_good_reference(champion_root, "damaged", b"not parquet")
    with pytest.raises(GateFailedError, match="Reference Drift"):
        _gate(workdir, champion_root, frame, **{"validation.model.champion.alias": alias})
    (said,) = [c for c in _checks(workdir).values() if c["suite"] == "Reference Drift"]
    assert said["status"] == "failed" and "(@damaged) cannot be read" in said["details"]


def test_an_unreachable_store_fails_the_gate(
    registered, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    champion_root, frame = registered
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    with pytest.raises(GateFailedError, match="Reference Drift"):
        _gate(workdir, champion_root, frame, **{"mlflow.tracking_uri": "http://127.0.0.1:9"})
    (said,) = [c for c in _checks(workdir).values() if c["suite"] == "Reference Drift"]
    assert said["status"] == "failed" and "cannot be read" in said["details"]
