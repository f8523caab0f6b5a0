import json
import re

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.pipeline import run_stage
from {{ cookiecutter.package_name }}.stages import validate_model

from .conftest import CLASSIFICATION, write_params


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
