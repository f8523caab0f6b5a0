"""The whole pipeline through the CLI, then the bento served by `bentoml serve` over HTTP."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.pipeline import STAGES
from {{ cookiecutter.package_name }}.smoke import http, predict, serving

from .conftest import CLASSIFICATION, write_params

pytestmark = pytest.mark.e2e


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pipeline run shared by the HTTP tests (it takes a while)."""
    root = tmp_path_factory.mktemp("project")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("BENTOML_HOME", str(root / ".bentoml"))
    write_params(root)
    done = cli("pipeline", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    for stage in STAGES:
        assert f"{stage}: ok" in done.stdout
    yield root
    monkeypatch.undo()


@pytest.fixture(scope="module")
def service(built: Path):
    record = json.loads((built / "reports" / "package.json").read_text())
    with serving(record["bento"]) as url:
        yield url


@pytest.fixture(scope="module")
def rows(built: Path) -> list[dict]:
    test = pd.read_parquet(built / "data" / "prepared" / "test.parquet")
    return json.loads(test.drop(columns=["target"]).head(5).to_json(orient="records"))


def test_health_and_readiness(service: str) -> None:
    assert http("GET", f"{service}/healthz")[0] == 200
    assert http("GET", f"{service}/readyz")[0] == 200


def test_predicts_one_and_many_rows(service: str, rows: list[dict]) -> None:
    one = predict(service, rows[:1])
    many = predict(service, rows)
    assert one["model_version"] == "1"
    assert len(many["predictions"]) == 5
    if CLASSIFICATION:
        assert {p["prediction"] for p in many["predictions"]} <= {0, 1}
        for prediction in many["predictions"]:
            assert sum(prediction["probabilities"].values()) == pytest.approx(1.0)
    else:
        assert all(isinstance(p["prediction"], float) for p in many["predictions"])


def _without(row: dict, key: str) -> dict:
    return {k: v for k, v in row.items() if k != key}


@pytest.mark.parametrize(
    ("make_body", "mentions"),
    [
        (lambda row: {"rows": [_without(row, next(iter(row)))]}, "missing"),
        (lambda row: {"rows": [{**row, "surprise": 1.0}]}, "surprise"),
        (lambda row: {"rows": [{**row, next(iter(row)): "not a number"}]}, "float"),
        (lambda row: {"rows": [{**row, next(iter(row)): None}]}, "float"),
        (lambda row: {"rows": []}, "at least 1"),
        (lambda row: {"rows": [row], "extra": 1}, "extra"),
        (lambda row: {"rows": row}, "list"),
        (lambda row: [row], "object"),
    ],
    ids=[
        "missing-field",
        "extra-field",
        "wrong-type",
        "null",
        "empty-batch",
        "extra-top-level-key",
        "not-a-list",
        "bare-list",
    ],
)
def test_bad_requests_get_400_with_a_reason(
    service: str, rows: list[dict], make_body, mentions
) -> None:
    status, body = http("POST", f"{service}/predict", make_body(rows[0]))
    assert status == 400, body
    assert mentions.lower() in json.dumps(body).lower()


@pytest.mark.parametrize("huge", [1e300, -1e300, 10**40, 1.7e308])
def test_huge_numbers_get_a_finite_answer_or_400_never_500(
    service: str, rows: list[dict], huge: float
) -> None:
    status, body = http(
        "POST", f"{service}/predict", {"rows": [{**rows[0], next(iter(rows[0])): huge}]}
    )
    if status == 400:  # e.g. a tree model's float32 overflows: named, not a crash
        assert "scored" in json.dumps(body) or "finite" in json.dumps(body)
    else:
        assert status == 200, body
        assert all(math.isfinite(float(p["prediction"])) for p in body["predictions"])


def test_malformed_json_gets_400(service: str) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{service}/predict", data=b'{"rows": [', headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 400


def test_failed_gate_stops_the_pipeline_naming_the_check(built: Path, tmp_path: Path) -> None:
    raw = pd.read_parquet(built / "data" / "raw" / "dataset.parquet")
    raw["leak"] = raw["target"]
    raw.to_csv(tmp_path / "leaky.csv", index=False)
    write_params(tmp_path, **{"data.source": "leaky.csv"})
    done = cli("pipeline", cwd=tmp_path)
    assert done.returncode == 1
    assert "pipeline stopped at 'validate_data'" in done.stderr
    assert "Feature Label Correlation" in done.stderr
    assert "no model version registered" in done.stderr
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
    with serving(record["bento"]) as url:
        answer = predict(url, [row, {**row, "size m2": 75.5, "zone": 3}])
        assert len(answer["predictions"]) == 2
        status, body = http("POST", f"{url}/predict", {"rows": [{**row, "zone": "2"}]})
        assert status == 400 and "zone" in json.dumps(body)
