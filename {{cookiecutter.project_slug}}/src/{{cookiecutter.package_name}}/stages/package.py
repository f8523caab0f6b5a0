"""Stage 9, package: import `models:/<name>@<alias>` into BentoML and build a bento around it.

The bento carries the service code, the model and its metadata (feature schema, lineage,
metrics), so what is served later is exactly what was validated here.
"""

from __future__ import annotations

import os
from typing import Any

from ..bento_names import (
    BENTO_MODEL_NAME,
    BENTO_NAME,
    PACKAGE,
    RUNTIME_LOCK,
    SERVICE,
    SOURCE_DIR,
)
from ..config import Params
from ..errors import PipelineError
from ..layout import Layout, read_json, require, write_json


def model_metadata(params: Params, layout: Layout, version: str, run_id: str) -> dict[str, Any]:
    schema = read_json(layout.feature_schema, "train")
    registration = read_json(layout.registration, "register")
    return {
        "features": schema["features"],
        "nullable": schema.get("nullable", []),
        "classes": schema["classes"],
        "task": params.task,
        "target": params.data.target,
        "registered_model": params.registry.model_name,
        "model_version": version,
        "alias": params.registry.alias,
        "mlflow_run_id": run_id,
        "git_commit": registration.get("git.commit", "none"),
        "data_sha256": registration.get("data.sha256", ""),
        "metrics": read_json(layout.metrics, "evaluate"),
    }


def pinned_requirements() -> list[str]:
    """The runtime lock, so the bento's image installs exactly what was tested.

    Passed as a list: BentoML refuses a requirements file outside its build context (src/).
    """
    lock = require(RUNTIME_LOCK, "make lock")
    lines = (line.strip() for line in lock.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-"))]


def run(params: Params, layout: Layout) -> dict[str, Any]:
    import bentoml
    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(params.mlflow.resolved_tracking_uri(layout.root))
    name, alias = params.registry.model_name, params.registry.alias
    uri = f"models:/{name}@{alias}"
    try:
        version = mlflow.MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        raise PipelineError(
            f"package: no model at {uri} in {params.mlflow.resolved_tracking_uri(layout.root)} "
            "(run the 'register' stage with passing gates first)"
        ) from exc

    trained_run = read_json(layout.registration, "register").get("run_id")
    if version.run_id != trained_run:
        raise PipelineError(
            f"package: {uri} is version {version.version} from run {version.run_id}, not the "
            f"model trained here (run {trained_run}); run the pipeline so its gates pass first"
        )
    metadata = model_metadata(params, layout, version.version, version.run_id)
    labels = {"registered-model": name, "model-version": str(version.version)}
    bento_model = bentoml.mlflow.import_model(
        BENTO_MODEL_NAME, uri, metadata=metadata, labels=labels
    )
    bento = bentoml.bentos.build(
        SERVICE,
        name=BENTO_NAME,
        labels={**labels, "git-commit": str(metadata["git_commit"])[:63]},
        description=f"{name} version {version.version} served from {uri}",
        include=[f"{PACKAGE}/**/*.py"],
        python={"packages": pinned_requirements(), "lock_packages": False},
        models=[str(bento_model.tag)],
        build_ctx=str(SOURCE_DIR),
    )
    record = {
        "bento": str(bento.tag),
        "bento_path": bento.path,
        "bento_model": str(bento_model.tag),
        "bentoml_home": os.environ.get("BENTOML_HOME", ""),
        "model_uri": uri,
        "model_version": int(version.version),
    }
    write_json(layout.package_record, record)
    return record
