"""The project on a team's kind of tracking stack: the pipeline, the champion comparison, a
staging and a production release, a rollback, batch scoring and monitoring, all against
PostgreSQL, the object store and `mlflow server`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.layout import Layout

from .conftest import git, run, stack_project
from .registry import registry_state

pytestmark = pytest.mark.stack


def ok(done) -> str:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_pipeline_release_rollback_score_and_monitor_on_the_stack(tmp_path: Path, stack) -> None:
    name = "stack-flow"
    root = stack_project(tmp_path / "flow", stack, name)
    ok(run(root, "pipeline"))
    registration = json.loads((root / "reports" / "registration.json").read_text())
    assert registration["tracking_uri"] == stack.server.url
    assert registry_state(stack.server.url, name) == {
        "versions": {1: registration["run_id"]},
        "aliases": {"challenger": 1},
    }
    ok(run(root, "release", "staging", "--tag", "v0.1.0-rc.1"))
    ok(run(root, "release", "production", "--tag", "v0.1.0"))  # a tag on the staged commit
    git(root, "pull", "-q", "--ff-only", "origin", "main")
    state = registry_state(stack.server.url, name)
    assert state["aliases"] == {"challenger": 1, "staging": 1, "production": 1}

    # A second model: the champion (version 1, read back from the object store through the
    # server) faces it on the same rows.
    git(root, "commit", "-q", "--allow-empty", "-m", "retrain")
    git(root, "push", "-q", "origin", "main")
    ok(run(root, "pipeline"))
    champion = json.loads(Layout(root).champion.read_text())
    assert champion["champion"]["version"] == 1, champion
    ok(run(root, "release", "staging", "--tag", "v0.2.0-rc.1"))
    git(root, "pull", "-q", "--ff-only", "origin", "main")
    assert registry_state(stack.server.url, name)["aliases"]["staging"] == 2
    ok(run(root, "release", "rollback", "--env", "staging", "--to", "v0.1.0-rc.1"))
    assert registry_state(stack.server.url, name)["aliases"] == {
        "challenger": 2,
        "staging": 1,
        "production": 1,
    }

    # Batch traffic scored with @production and monitored against its stored reference.
    layout = Layout(root)
    rows = pd.concat([pd.read_parquet(layout.train_data), pd.read_parquet(layout.test_data)])
    target = yaml.safe_load((root / "params.yaml").read_text())["data"]["target"]
    rows = rows.drop(columns=[target])
    rows.to_csv(tmp_path / "batch.csv", index=False)
    ok(run(root, "score", str(tmp_path / "batch.csv"), "--out", str(tmp_path / "scored.csv")))
    assert len(pd.read_csv(tmp_path / "scored.csv")) == len(rows)
    watched = run(root, "monitor", "--last", str(len(rows)))
    assert watched.returncode in {0, 3}, watched.stdout + watched.stderr
    summary = json.loads((layout.monitoring / "monitor.json").read_text())
    assert summary["model"]["version"] == "1", summary["model"]
