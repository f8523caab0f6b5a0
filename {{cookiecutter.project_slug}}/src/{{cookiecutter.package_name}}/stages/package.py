"""The package stage: import the model version this run registered (`models:/<name>/<N>`)
into BentoML and build a bento around it.

The bento carries the service code, the model and its metadata (feature schema, lineage,
metrics), so what is served later is exactly what was validated here. It also carries the
model compiled to ONNX for small batches, when that copy gives the model's answers on the
test split (serving/compiled.py); the record says which scorer serves, or why not the compiled one.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from ..config import Params
from ..data_versions import bounded_sample
from ..errors import PipelineError
from ..layout import Layout, read_json, require, write_json
from ..serving.api_docs import project_info
from ..serving.compiled import Compilation, compile_pipeline
from ..serving.names import (
    BENTO_MODEL_NAME,
    BENTO_NAME,
    COMPILED_OBJECT,
    RUNTIME_LOCK,
    SAMPLE_OBJECT,
    SAMPLE_ROWS,
    SERVICE,
    SERVICE_FILES,
    SOURCE_DIR,
)
from ..tracking import client, mlflow_module, shown_tracking_uri, store_failure


def model_metadata(params: Params, layout: Layout, version: str, run_id: str) -> dict[str, Any]:
    schema = read_json(layout.feature_schema, "train")
    registration = read_json(layout.registration, "register")
    return {
        "features": schema["features"],
        "nullable": schema.get("nullable", []),
        "categories": schema.get("categories", {}),
        "classes": schema["classes"],
        "task": params.task,
        "target": params.data.target,
        # in a table to score, left out rather than refused: rows as the model was trained on
        "ignored_columns": sorted(
            {params.data.target, *params.data.drop} - set(schema["features"])
        ),
        "registered_model": params.registry.model_name,
        "model_version": version,
        "alias": params.registry.alias,
        "mlflow_run_id": run_id,
        "git_commit": registration.get("git.commit", "none"),
        "data_sha256": registration.get("data.sha256", ""),
        "metrics": read_json(layout.metrics, "evaluate"),
        "api_info": project_info(),  # the OpenAPI document's title, description and contact
    }


def test_features(params: Params, layout: Layout) -> pd.DataFrame:
    """The test split's features, in the order the model was trained on."""
    schema = read_json(layout.feature_schema, "train")
    test = pd.read_parquet(require(layout.test_data, "prepare"))
    return test.drop(columns=[params.data.target])[list(schema["features"])]


def compile_for_serving(
    model_uri: str, params: Params, layout: Layout, features: pd.DataFrame
) -> Compilation:
    """The registered model, compiled and checked against itself on the test split."""
    schema = read_json(layout.feature_schema, "train")
    return compile_pipeline(
        mlflow_module(params, layout.root).sklearn.load_model(model_uri),
        features,
        list(schema.get("nullable", [])),
    )


def pinned_requirements() -> list[str]:
    """The runtime lock, so the bento's image installs exactly what was tested.

    Passed as a list: BentoML refuses a requirements file outside its build context (src/).
    """
    lock = require(RUNTIME_LOCK, "make lock")
    lines = (line.strip() for line in lock.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-"))]


def registered_version(params: Params, layout: Layout) -> Any:
    """The model version this run registered (reports/registration.json), by number: while
    another pipeline registers too, the alias may already name that one's model."""
    from mlflow.exceptions import MlflowException

    name = params.registry.model_name
    where = shown_tracking_uri(params, layout.root)
    registration = (
        read_json(layout.registration, "register") if layout.registration.is_file() else {}
    )
    if not registration.get("registered"):
        raise PipelineError(
            f"package: no model at models:/{name} registered by this run in {where} "
            "(run the 'register' stage with passing gates first)"
        )
    try:
        version = client(params, layout.root).get_model_version(name, str(registration["version"]))
    except MlflowException as exc:
        if store_failure(exc):
            raise  # the server, not the model: named as such by the caller
        raise PipelineError(
            f"package: no model at models:/{name}/{registration['version']} in {where}: "
            f"{str(exc).splitlines()[0][:200]}"
        ) from exc
    if version.run_id != registration["run_id"]:
        raise PipelineError(
            f"package: models:/{name}/{version.version} is from run {version.run_id}, not the "
            f"model trained here (run {registration['run_id']}); run the pipeline again"
        )
    return version


def run(params: Params, layout: Layout) -> dict[str, Any]:
    import bentoml

    version = registered_version(params, layout)
    name = params.registry.model_name
    uri = f"models:/{name}/{version.version}"
    metadata = model_metadata(params, layout, version.version, version.run_id)
    features = test_features(params, layout)
    compiled = compile_for_serving(uri, params, layout, features)
    metadata["scorer"] = compiled.report
    labels = {"registered-model": name, "model-version": str(version.version)}
    # at most SAMPLE_ROWS test rows, drawn with the split's seed: what smoke tests send
    stored: dict[str, Any] = {
        SAMPLE_OBJECT: bounded_sample(features, SAMPLE_ROWS, params.split.seed)
    }
    if compiled.onnx:
        stored[COMPILED_OBJECT] = compiled.onnx
    bento_model = bentoml.mlflow.import_model(
        BENTO_MODEL_NAME, uri, metadata=metadata, labels=labels, custom_objects=stored
    )
    bento = bentoml.bentos.build(
        SERVICE,
        name=BENTO_NAME,
        labels={**labels, "git-commit": str(metadata["git_commit"])[:63]},
        description=f"{name} version {version.version} served from {uri}",
        include=list(SERVICE_FILES),
        python={"packages": pinned_requirements(), "lock_packages": False},
        models=[str(bento_model.tag)],
        build_ctx=str(SOURCE_DIR),
    )
    record = {
        "bento": str(bento.tag),
        "small_batches": compiled.summary(),
        "bento_path": bento.path,
        "bento_model": str(bento_model.tag),
        "bentoml_home": os.environ.get("BENTOML_HOME", ""),
        "model_uri": uri,
        "model_version": int(version.version),
        "scorer": compiled.report,
    }
    write_json(layout.package_record, record)
    return record
