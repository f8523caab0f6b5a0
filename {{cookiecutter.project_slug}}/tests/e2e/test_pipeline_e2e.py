"""The whole pipeline through the CLI, then the bento served by `bentoml serve` over HTTP."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.metrics import DEFAULT_CHAMPION_METRIC
from {{ cookiecutter.package_name }}.serving.process import (
    free_port,
    http,
    predict,
    serving,
)

from ..conftest import CLASSIFICATION, TASK, cli, write_params

pytestmark = pytest.mark.e2e


def test_the_pipeline_ends_with_its_summary_and_its_log_reads_clean(built: Path) -> None:
    """Piped (as in CI), no progress bar: a line as each suite starts and ends; then what the
    run gave, where its reports are and what to run next."""
    out, err = ((built / f"pipeline.{kind}").read_text(encoding="utf-8") for kind in ("out", "err"))
    assert "\r" not in out + err and "|█" not in err
    assert "  Data Integrity: " in err and " checks run in " in err
    tail = out[out.index("Pipeline passed in ") :]
    metric = DEFAULT_CHAMPION_METRIC[TASK]
    for said in ("test metrics: ", metric, "gates: all ", "; @challenger is on version ", "Next:"):
        assert said in tail, said
    assert "make serve       # the model on http://127.0.0.1:" in tail


def test_failed_gate_stops_the_pipeline_naming_the_check(built: Path, tmp_path: Path) -> None:
    raw = pd.read_parquet(built / "data" / "raw" / "dataset.parquet")
    raw["leak"] = raw["target"]
    raw.to_csv(tmp_path / "leaky.csv", index=False)
    write_params(tmp_path, **{"data.source": "leaky.csv"})
    done = cli("pipeline", cwd=tmp_path)
    assert done.returncode == 1
    assert "pipeline stopped at 'validate_data'" in done.stderr
    assert "Feature Label Correlation" in done.stderr
    assert "'leak'" in done.stderr  # the check's details: which column, its score
    assert "no model version registered" in done.stderr
    assert "params.yaml under validation" in done.stderr  # where the thresholds are set
    assert not (tmp_path / "reports" / "package.json").exists()


def test_own_data_with_mixed_types_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Int, text, boolean, declared-categorical and gappy columns, with awkward names."""
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / ".bentoml"))
    rng = np.random.default_rng(0)
    rows = 400
    frame = pd.DataFrame(
        {
            "size m2": rng.normal(80, 20, rows).round(1),
            "rooms": rng.integers(1, 6, rows),
            "colour": rng.choice(["red", "green", "blue"], rows),
            "garden": rng.choice([True, False], rows),
            "zone": rng.integers(1, 4, rows),
        }
    )
    frame.loc[rng.choice(rows, 8, replace=False), "size m2"] = np.nan
    score = frame["rooms"] + (frame["colour"] == "red") + rng.normal(0, 1, rows)
    frame["target"] = (score > score.median()).astype(int) if CLASSIFICATION else score
    frame.to_csv(tmp_path / "mine.csv", index=False)
    write_params(
        tmp_path,
        **{
            "data.source": "mine.csv",
            "data.categorical": ["zone"],
            "validation.model.minimums": {},
            "validation.model.min_gain_over_simple_model": 0.0,
        },
    )
    done = cli("pipeline", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads((tmp_path / "reports" / "package.json").read_text())
    row = {"size m2": None, "rooms": 3, "colour": "red", "garden": True, "zone": 2}
    log = tmp_path / "served.jsonl"
    monkeypatch.setenv("PREDICTION_LOG", str(log))
    with serving(record["bento"]) as url:
        answer = predict(url, [row, {**row, "size m2": 75.5, "zone": 3}])
        assert len(answer["predictions"]) == 2
        assert all("warning" not in p for p in answer["predictions"])
        status, body = http("POST", f"{url}/predict", {"rows": [{**row, "zone": "2"}]})
        assert status == 400 and "zone" in json.dumps(body)
        # a colour and a zone the model never saw: scored, and said so in the answer and log
        unseen = predict(url, [{**row, "colour": "purple"}, {**row, "colour": "teal", "zone": 9}])
        first, second = unseen["predictions"]
        assert first["prediction"] is not None and "colour: 'purple'" in first["warning"]
        assert "colour: 'teal'" in second["warning"] and "zone: '9'" in second["warning"]
        status, batch = http("POST", f"{url}/predict_batch", {"rows": [row, {**row, "zone": 7}]})
        assert (
            status == 200
            and list(batch["warnings"]) == ["1"]
            and "zone: '7'" in batch["warnings"]["1"]
        )
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    warned = [entry["output"]["warning"] for entry in logged if entry["output"].get("warning")]
    assert len(warned) == 3 and any("purple" in text for text in warned)


def test_mlflow_ui_opens_the_project_store(built: Path) -> None:
    """`make mlflow-ui`: MLflow's own UI on the project's store, on loopback, one worker."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    package = "{{ cookiecutter.package_name }}"
    command = [sys.executable, "-m", package, "mlflow-ui", "--port", str(port)]
    log = built / "mlflow-ui.log"
    with log.open("wb") as sink:
        ui = subprocess.Popen(
            command,
            cwd=built,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if http("GET", f"http://127.0.0.1:{port}/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert ui.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(1)
        status, experiments = http(
            "GET", f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search?max_results=10"
        )
        assert status == 200, experiments
        names = {experiment["name"] for experiment in experiments["experiments"]}
        params = yaml.safe_load((built / "params.yaml").read_text(encoding="utf-8"))
        assert params["mlflow"]["experiment"] in names
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=30)
