import json
import re
from pathlib import Path
from urllib.parse import urlparse

import mlflow
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.gates.summary import markdown
from {{ cookiecutter.package_name }}.pipeline import run_stage
from {{ cookiecutter.package_name }}.stages import validate_model

from ..conftest import CLASSIFICATION, write_params


def test_clean_sample_passes_every_gate(trained) -> None:
    params, layout = trained
    report = run_stage("validate_model", params, layout)
    assert report.passed, [check.name for check in report.failed]
    summary = json.loads(layout.gates.read_text())
    assert summary["passed"] is True and summary["complete"] is True
    assert not [check for check in summary["checks"] if check["status"] == "failed"]
    suites = {check["suite"] for check in summary["checks"]}
    assert {"Data Integrity", "Train Test Validation", "Model Evaluation", "Model Floor"} <= suites
    scripts = set()
    for name in ("data_integrity", "train_test_validation", "model_evaluation"):
        html = layout.root / summary["reports"][name]
        page = html.read_text(encoding="utf-8")
        assert 10_000 < html.stat().st_size < 500_000, html.stat().st_size  # inlined: ~8 MB
        assert "<html" in page[:5000].lower() and "Conditions Summary" in page
        scripts |= set(re.findall(r'<script[^>]* src="(assets/[0-9a-f]+\.js)"', page))
    assert len(scripts) == 1, scripts  # plotly, stored once for all three reports
    assert (layout.deepchecks / scripts.pop()).stat().st_size > 1_000_000


def test_a_rerun_replaces_the_reports_instead_of_writing_beside_them(trained) -> None:
    """deepchecks writes "<name> (1).html" next to an existing report; the gate must not let
    last run's report pass for this run's."""
    params, layout = trained
    run_stage("validate_model", params, layout)
    before = {page.name: page.stat().st_mtime_ns for page in layout.deepchecks.glob("*.html")}
    run_stage("validate_data", params, layout)
    run_stage("validate_model", params, layout)
    after = {page.name: page.stat().st_mtime_ns for page in layout.deepchecks.glob("*.html")}
    assert sorted(after) == sorted(before) == [
        "data_integrity.html", "model_evaluation.html", "train_test_validation.html"
    ]  # fmt: skip
    assert all(after[name] > before[name] for name in after)  # written anew


def test_unreachable_metric_floor_fails_the_model_gate(trained, workdir) -> None:
    _, layout = trained
    floor = {"accuracy": 1.01} if CLASSIFICATION else {"r2": 0.99}
    strict = load_params(write_params(workdir, **{"validation.model.minimums": floor}))
    report = validate_model.run(strict, layout)
    assert not report.passed
    assert [check.suite for check in report.failed] == ["Model Floor"]


def test_metric_floor_bounds(tmp_path) -> None:
    higher, lower = ("accuracy", "f1") if CLASSIFICATION else ("r2", "rmse")
    overrides = {
        "validation.model.minimums": {higher: 0.5},
        "validation.model.maximums": {lower: 0.9},
    }
    params = load_params(write_params(tmp_path, **overrides))
    low = {higher: 0.4}
    outcomes = {check.condition: check.status for check in validate_model.metric_floor(params, low)}
    # Too low fails; a bound on a metric that was not computed fails too.
    assert sorted(outcomes.values()) == ["failed", "failed"]


def _champion(report):
    (outcome,) = [check for check in report.checks if check.suite == "Champion"]
    return outcome


def _retrain_on_shuffled_labels(params, layout) -> None:
    train = pd.read_parquet(layout.train_data)
    target = params.data.target
    train[target] = train[target].sample(frac=1.0, random_state=1).to_numpy()
    train.to_parquet(layout.train_data, index=False)
    for stage in ("train", "evaluate"):
        run_stage(stage, params, layout)


def test_the_first_model_passes_on_the_floor_alone(trained) -> None:
    params, layout = trained
    report = validate_model.run(params, layout)
    first = _champion(report)
    assert report.passed and first.status == "not run"
    assert "first model passes on the metric floors alone" in first.details
    assert json.loads(layout.champion.read_text())["champion"] is None
    assert "the first model passes on the metric floors alone" in markdown(layout)


def test_a_model_trained_on_shuffled_labels_fails(trained) -> None:
    params, layout = trained
    _retrain_on_shuffled_labels(params, layout)
    report = validate_model.run(params, layout)
    failed = {check.suite for check in report.failed}
    assert {"Model Floor", "Model Evaluation"} <= failed, [c.name for c in report.failed]


def test_challenger_is_held_against_the_production_model(trained) -> None:
    params, layout = trained
    run_stage("validate_model", params, layout)
    version = run_stage("register", params, layout)["version"]
    mlflow.set_tracking_uri(params.mlflow.resolved_tracking_uri(layout.root))
    mlflow.MlflowClient().set_registered_model_alias(
        params.registry.model_name, "production", version
    )

    same = _champion(validate_model.run(params, layout))  # the same model: no worse
    assert same.status == "passed", same.details
    assert f"for version {version}" in same.details

    _retrain_on_shuffled_labels(params, layout)
    worse = _champion(validate_model.run(params, layout))
    assert worse.status == "failed", worse.details
    comparison = json.loads(layout.champion.read_text())
    assert comparison["champion"]["version"] == version and comparison["change"] < -0.01
    summary = markdown(layout)  # what the job summary and the pull request show
    assert f"production (version {version}, same test data)" in summary
    assert "| Champion |" in summary and "❌ failed" in summary

    tolerant = load_params(
        write_params(layout.root, **{"validation.model.champion.tolerance": 1.0})
    )
    assert _champion(validate_model.run(tolerant, layout)).status == "passed"

    # The store's artifacts moved away (mlruns/ renamed, a bucket emptied): one clear line.
    experiment = mlflow.get_experiment_by_name(params.mlflow.experiment)
    artifacts = Path(urlparse(experiment.artifact_location).path)
    moved = artifacts.rename(artifacts.with_name("moved-away"))
    try:
        gone = _champion(validate_model.run(tolerant, layout))
    finally:
        moved.rename(artifacts)
    assert gone.status == "failed"
    assert f"the artifacts of version {version} (@production) cannot be loaded" in gone.details
    assert "moved or deleted? restore them" in gone.details


def test_an_unknown_champion_metric_is_refused(tmp_path) -> None:
    with pytest.raises(PipelineError, match=r"champion\.metric"):
        load_params(write_params(tmp_path, **{"validation.model.champion.metric": "speed"}))
