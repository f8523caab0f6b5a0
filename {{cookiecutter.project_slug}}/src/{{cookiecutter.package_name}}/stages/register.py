"""The register stage: log every run to MLflow; register the model only when the gates passed.

A passing model becomes a new version of the registered model with the alias from params.yaml
(`challenger`); promotion to `staging` and `production` happens later, through Git tags.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from ..config import Params
from ..data_versions import REFERENCE_ROWS, reference_sample
from ..errors import GateFailedError, PipelineError
from ..gates.reference import SCHEMA_FILE
from ..gitinfo import current_commit, is_dirty
from ..layout import Layout, read_json, require, write_json
from ..tracking import shown_tracking_uri, start_experiment
from .extract import source_file

# Dependencies a served model needs, pinned to what trained it.
SERVING_REQUIREMENTS = ("scikit-learn", "skops", "numpy", "pandas", "scipy")


def _flatten(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(f"{prefix}.{key}" if prefix else str(key), inner))
        return flat
    return {prefix: value}


def log_model(mlflow: Any, model: Any, sample: pd.DataFrame) -> Any:
    """Log the pipeline with skops (no pickle), trusting only the types this pipeline holds."""
    import skops.io
    from mlflow.models import infer_signature

    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    return mlflow.sklearn.log_model(
        model,
        name="model",
        signature=infer_signature(sample, model.predict(sample)),
        input_example=sample.head(3),
        pip_requirements=[f"{name}=={version(name)}" for name in SERVING_REQUIREMENTS],
        skops_trusted_types=trusted,
    )


def log_training_data(mlflow: Any, params: Params, layout: Layout) -> None:
    """The training split's reference sample as the run's input (searchable by data version),
    and as the run's `reference/` artifacts beside the data manifest.

    The input is the sample, not the whole split: MLflow infers a dataset's schema from every
    row it is given (13 s at 800,000 rows), and the schema is the split's either way."""
    dataset = read_json(layout.raw_meta, "extract")
    train = pd.read_parquet(require(layout.train_data, "prepare"))
    reference = reference_sample(train, params.split.seed)
    counts = {"train_rows": len(train), "reference_rows": len(reference)}
    file = source_file(params.data, layout.root)  # a bundled sample's file is the extracted one
    log_input_once(
        mlflow,
        mlflow.data.from_pandas(
            reference, source=str((file or layout.raw_data).resolve()),
            targets=params.data.target, name=f"{params.registry.model_name}-train",
            digest=dataset["sha256"][:36],  # MLflow keeps at most 36 characters of a digest
        ),
        tags={"data.sha256": dataset["sha256"], **{k: str(v) for k, v in counts.items()}},
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="reference-") as scratch:
        folder = Path(scratch)
        reference.to_parquet(folder / "sample.parquet", index=False)
        shutil.copyfile(require(layout.feature_schema, "train"), folder / SCHEMA_FILE)
        write_json(
            folder / "manifest.json",
            {**dataset, "split": "train", **counts, "reference_max_rows": REFERENCE_ROWS},
        )
        mlflow.log_artifacts(scratch, artifact_path="reference")


def log_input_once(mlflow: Any, dataset: Any, tags: dict[str, str], attempts: int = 3) -> None:
    """Log the training input, tolerating a server that stored it but answered an error.

    Two pipelines logging the same data version at once race to create the one dataset row an
    experiment keeps per name and digest: the loser's server answers 500 (a unique-key clash),
    although the row now exists. Asking again then links the run to it; a run already linked
    (an answer lost after a commit) is done."""
    from mlflow.exceptions import MlflowException

    run_id = mlflow.active_run().info.run_id
    for attempt in range(1, attempts + 1):
        try:
            mlflow.log_input(dataset, context="training", tags=tags)
            return
        except MlflowException:
            inputs = mlflow.get_run(run_id).inputs.dataset_inputs
            if any(logged.dataset.digest == dataset.digest for logged in inputs):
                return
            if attempt == attempts:
                raise
            time.sleep(attempt)


def ensure_registered_model(client: Any, name: str) -> bool:
    """Create the registered model on first use; returns True when this is the first model ever."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
        return False
    except MlflowException:
        pass
    try:
        client.create_registered_model(name, description="Registered by the project's pipeline.")
        return True
    except MlflowException as exc:  # another pipeline created it a moment ago
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        return False


def alias_newest(client: Any, name: str, alias: str) -> int:
    """Point `alias` at the newest ready version and return it: a pipeline that registered
    while another did leaves the alias where runs one after the other would (on the newer
    version), whichever of them sets it last. Setting it, then checking no newer version
    appeared meanwhile, converges: the last to set it saw every version made before that."""
    newest = 0
    while True:
        versions = client.search_model_versions(f"name = '{name}'")
        found = max((int(v.version) for v in versions if v.status == "READY"), default=0)
        if found == newest:
            return newest
        newest = found
        client.set_registered_model_alias(name, alias, str(newest))


def _tags(params: Params, layout: Layout, gates: dict[str, Any]) -> dict[str, str]:
    dataset = read_json(layout.raw_meta, "extract")
    commit = current_commit(layout.root)
    return {
        "data.sha256": dataset["sha256"],
        "data.source": dataset["source"],
        "gates.passed": str(gates["passed"]).lower(),
        "git.commit": commit or "none",
        "git.dirty": str(commit is not None and is_dirty(layout.root)).lower(),
        "task": params.task,
    }


def run_name(params: Params, tags: dict[str, str], outcome: str = "") -> str:
    """What the run list shows: the estimator and the commit (`ridge-3f2a9c1`, `-dirty` for
    uncommitted changes), and a failed gate."""
    commit = tags["git.commit"][:7] if tags["git.commit"] != "none" else "no-commit"
    dirty = "-dirty" if tags["git.dirty"] == "true" else ""
    return "-".join(filter(None, [params.model.estimator, commit + dirty, outcome]))


def log_failed_run(params: Params, layout: Layout) -> None:
    """Log a run whose gate failed (parameters, data hash, reports, no model), then refuse.

    A data gate failure stops before training, so no model of this run exists to log; a model
    file left by an earlier run is never logged in its place.
    """
    gates = read_json(layout.gates, "validate_data")
    mlflow = start_experiment(params, layout.root, "register")
    tags = _tags(params, layout, gates)
    with mlflow.start_run(run_name=run_name(params, tags, "gate-failed")) as active:
        mlflow.set_tags(tags)
        mlflow.log_params(_flatten("", params.model_dump(mode="json", exclude={"mlflow"})))
        if gates.get("complete") and layout.metrics.is_file():
            mlflow.log_metrics(read_json(layout.metrics, "evaluate"))
        mlflow.log_artifacts(str(layout.reports), artifact_path="reports")
        run_id = active.info.run_id
    write_json(
        layout.registration,
        {"run_id": run_id, "gates_passed": False, "registered": False,
         **{key: tags[key] for key in ("git.commit", "git.dirty", "data.sha256")}},
    )  # fmt: skip
    raise GateFailedError(
        gates["failed"], note=f"MLflow run {run_id} logged; no model version registered."
    )


def run(params: Params, layout: Layout) -> dict[str, Any]:
    gates = read_json(layout.gates, "validate_data")
    if not gates["passed"]:
        log_failed_run(params, layout)
    if not gates.get("complete"):
        raise PipelineError("the model gate has not run: run the 'validate_model' stage first")
    scores = read_json(layout.metrics, "evaluate")
    model = joblib.load(require(layout.model, "train"))
    sample = pd.read_parquet(require(layout.test_data, "prepare")).drop(
        columns=[params.data.target]
    )
    mlflow = start_experiment(params, layout.root, "register")
    tags = _tags(params, layout, gates)
    with mlflow.start_run(run_name=run_name(params, tags)) as active:
        mlflow.set_tags(tags)
        mlflow.log_params(_flatten("", params.model_dump(mode="json", exclude={"mlflow"})))
        mlflow.log_metrics(scores)
        mlflow.log_artifacts(str(layout.reports), artifact_path="reports")
        log_training_data(mlflow, params, layout)
        info = log_model(mlflow, model, sample)
        run_id = active.info.run_id

    record: dict[str, Any] = {
        "run_id": run_id,
        "model_name": params.registry.model_name,
        "tracking_uri": shown_tracking_uri(params, layout.root),
        "gates_passed": gates["passed"],
        "registered": False,
        **{
            key: value
            for key, value in tags.items()
            if key in {"git.commit", "git.dirty", "data.sha256"}
        },
    }
    client = mlflow.MlflowClient()
    first = ensure_registered_model(client, params.registry.model_name)
    # The logged model's id with its `models:/m-...` URI: a tracking server refuses that source
    # without it (SQLite takes it either way), and would leave a registered model with no version.
    created = client.create_model_version(
        params.registry.model_name, info.model_uri, run_id=run_id, tags=tags, model_id=info.model_id
    )
    holder = alias_newest(client, params.registry.model_name, params.registry.alias)
    record.update(
        registered=True,
        version=int(created.version),
        alias=params.registry.alias,
        alias_holder=holder,
        first_model=first,
        model_uri=f"models:/{params.registry.model_name}@{params.registry.alias}",
    )
    write_json(layout.registration, record)
    return record
