import json
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.cli.context import (
    sample_rows,
)
from {{ cookiecutter.package_name }}.errors import GateFailedError, PipelineError
from {{ cookiecutter.package_name }}.pipeline import run_stage
from {{ cookiecutter.package_name }}.serving.names import (
    PACKAGE,
    SAMPLE_ROWS,
    SERVICE_MODULES,
)
from {{ cookiecutter.package_name }}.serving.sample import (
    stored_sample,
)


@pytest.fixture
def validated(trained):
    params, layout = trained
    run_stage("validate_model", params, layout)
    return params, layout


def _client(params):
    mlflow.set_tracking_uri(params.mlflow.resolved_tracking_uri())
    return mlflow.MlflowClient()


def test_first_model_becomes_version_one_then_versions_grow(validated) -> None:
    params, layout = validated
    first = run_stage("register", params, layout)
    assert first["registered"] and first["first_model"] and first["version"] == 1
    second = run_stage("register", params, layout)
    assert second["version"] == 2 and not second["first_model"]
    client = _client(params)
    by_alias = client.get_model_version_by_alias(params.registry.model_name, "challenger")
    assert int(by_alias.version) == 2
    run = client.get_run(second["run_id"])
    assert run.data.tags["data.sha256"] == json.loads(layout.raw_meta.read_text())["sha256"]
    assert run.data.tags["gates.passed"] == "true"
    assert "git.commit" in run.data.tags
    assert set(run.data.metrics) == set(json.loads(layout.metrics.read_text()))
    assert any(a.path == "reports" for a in client.list_artifacts(run.info.run_id))
    # named for the run list: the estimator, then the commit (a workdir is no repository)
    assert run.info.run_name == f"{params.model.estimator}-no-commit"
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == params.task  # the UI opens on its runs


def test_a_model_carries_its_data_version_and_reference(validated) -> None:
    """The run's input is the training split under the data version's digest (runs can be
    searched by it), and its reference sample and manifest are artifacts of the run."""
    params, layout = validated
    registered = run_stage("register", params, layout)
    meta = json.loads(layout.raw_meta.read_text())
    client = _client(params)
    run = client.get_run(registered["run_id"])
    (logged,) = run.inputs.dataset_inputs
    dataset, tags = logged.dataset, {tag.key: tag.value for tag in logged.tags}
    assert dataset.digest == meta["sha256"][:36] and dataset.source
    assert tags["data.sha256"] == meta["sha256"]
    assert tags["train_rows"] == str(len(pd.read_parquet(layout.train_data)))
    found = mlflow.search_runs(
        experiment_names=[params.mlflow.experiment],
        filter_string=f"dataset.digest = '{meta['sha256'][:36]}'",
    )
    assert registered["run_id"] in set(found["run_id"])
    folder = Path(client.download_artifacts(registered["run_id"], "reference", str(layout.root)))
    reference = pd.read_parquet(folder / "sample.parquet")
    train = pd.read_parquet(layout.train_data)
    assert list(reference.columns) == list(train.columns) and 0 < len(reference) <= len(train)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sha256"] == meta["sha256"] and manifest["reference_rows"] == len(reference)


def test_failed_gate_logs_the_run_but_registers_nothing(validated) -> None:
    params, layout = validated
    gates = json.loads(layout.gates.read_text())
    gates.update(passed=False, failed=["Data Integrity / Example: forced failure"])
    layout.gates.write_text(json.dumps(gates))
    with pytest.raises(GateFailedError, match="forced failure"):
        run_stage("register", params, layout)
    client = _client(params)
    experiment = client.get_experiment_by_name(params.mlflow.experiment)
    runs = client.search_runs([experiment.experiment_id])
    assert [run.data.tags["gates.passed"] for run in runs] == ["false"]
    assert runs[0].info.run_name == f"{params.model.estimator}-no-commit-gate-failed"
    assert client.search_model_versions(f"name='{params.registry.model_name}'") == []


def test_package_needs_a_registered_model(validated) -> None:
    params, layout = validated
    with pytest.raises(PipelineError, match="no model at models:/"):
        run_stage("package", params, layout)


def test_package_builds_a_bento_from_the_version_this_run_registered(validated) -> None:
    import bentoml

    params, layout = validated
    registered = run_stage("register", params, layout)
    record = run_stage("package", params, layout)
    assert record["model_uri"] == f"models:/{params.registry.model_name}/{registered['version']}"
    assert record["model_version"] == registered["version"]
    bento = bentoml.get(record["bento"])
    assert bento.info.labels["model-version"] == str(registered["version"])
    model = bentoml.models.get(record["bento_model"])
    assert model.info.metadata["model_version"] == registered["version"]
    assert set(model.info.metadata["features"]) == set(
        json.loads(layout.feature_schema.read_text())["features"]
    )
    carried = {
        path.relative_to(Path(bento.path) / "src").with_suffix("").as_posix()
        for path in (Path(bento.path) / "src").rglob("*.py")
    }
    assert carried == {f"{PACKAGE}/{module}" for module in SERVICE_MODULES}
    # ... and that is exactly what the service imports of the package, no more, no less
    listing = (
        f"import sys; from pathlib import Path; import {PACKAGE}.serving.service as s; "
        "root = Path(s.__file__).parents[2]; "
        "print(' '.join(Path(m.__file__).relative_to(root).with_suffix('').as_posix() "
        f"for n, m in list(sys.modules.items()) if n.split('.')[0] == '{PACKAGE}'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", listing], capture_output=True, text=True, check=True, timeout=300
    )
    assert set(done.stdout.split()) == carried


def test_the_bento_carries_its_test_rows_whatever_the_tree_holds_later(validated) -> None:
    """Smoke tests and benchmarks send the served model's test rows, not data/prepared/'s."""
    params, layout = validated
    run_stage("register", params, layout)
    record = run_stage("package", params, layout)
    test = pd.read_parquet(layout.test_data).drop(columns=[params.data.target])
    sample = stored_sample(record["bento"])
    assert 0 < len(sample) <= SAMPLE_ROWS
    assert sorted(sample.columns) == sorted(test.columns)
    assert len(sample.merge(test, how="inner")) == len(sample)  # rows of this model's test split
    # a later run's rows (here: a gate-refused table of other columns) change nothing served
    pd.DataFrame({"other": [1, 2]}).to_parquet(layout.test_data)
    layout.train_data.unlink()
    sent = sample_rows(layout, 3)
    assert [sorted(row) for row in sent] == [sorted(test.columns)] * 3
    pd.testing.assert_frame_equal(
        pd.DataFrame(sent)[list(sample.columns)], sample.head(3), check_dtype=False, rtol=1e-12
    )


def test_a_bento_not_in_the_store_is_named(validated) -> None:
    with pytest.raises(PipelineError, match=r"no-such-bento:v1 is not in this BentoML store"):
        stored_sample("no-such-bento:v1")


@pytest.mark.parametrize("stored_first", [True, False], ids=["answer-lost", "lost-the-race"])
def test_the_training_input_survives_a_server_error_while_logging_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stored_first: bool
) -> None:
    """A shared server that stored the input but answered an error, or refused it because
    another run created the dataset a moment before (an injected MlflowException on a real
    store): the run ends with the input logged exactly once."""
    from mlflow.exceptions import MlflowException

    from {{ cookiecutter.package_name }}.stages.register import log_input_once

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1.0, 2.0]}), name="d", digest="abc")
    real, calls = mlflow.log_input, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            if stored_first:
                real(*args, **kwargs)
            raise MlflowException(
                "INTERNAL_ERROR: duplicate key value", error_code="INTERNAL_ERROR"
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(mlflow, "log_input", flaky)
    with mlflow.start_run() as run:
        log_input_once(mlflow, dataset, tags={"k": "v"}, attempts=2)
    inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    assert [i.dataset.digest for i in inputs] == ["abc"]
    assert len(calls) == (1 if stored_first else 2)


def test_an_input_the_server_keeps_refusing_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.exceptions import MlflowException

    from {{ cookiecutter.package_name }}.stages.register import log_input_once

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1.0]}), name="d", digest="abc")

    def refuse(*args, **kwargs):
        raise MlflowException("INTERNAL_ERROR: it broke", error_code="INTERNAL_ERROR")

    monkeypatch.setattr(mlflow, "log_input", refuse)
    monkeypatch.setattr("time.sleep", lambda _: None)
    with mlflow.start_run(), pytest.raises(MlflowException, match="it broke"):
        log_input_once(mlflow, dataset, tags={}, attempts=3)
