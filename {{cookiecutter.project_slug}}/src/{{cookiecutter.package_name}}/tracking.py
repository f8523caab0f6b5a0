"""The one connection to MLflow: tracking store, experiment and registry helpers.

Every stage and release command that talks to MLflow goes through here, so the tracking URI
(params.yaml, or MLFLOW_TRACKING_URI), the quiet logging and the telemetry switch are set in
one place. mlflow is imported only when a helper is called.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from .config import CREDENTIALS, Params
from .errors import PipelineError


def without_credentials(text: str) -> str:
    """Text (a URI, an error) with any `user:password@` of a URI in it taken out: what may be
    printed, logged or recorded. Credentials belong in MLFLOW_TRACKING_USERNAME/PASSWORD."""
    return CREDENTIALS.sub("://", text)


def _quiet_mlflow() -> Any:
    """mlflow, imported with no telemetry, no progress bars and warnings only in the log."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # mlflow resets it on import
    return mlflow


def mlflow_module(params: Params, root: Path) -> Any:
    """mlflow, pointed at the project's tracking store (params.yaml or MLFLOW_TRACKING_URI)."""
    mlflow = _quiet_mlflow()
    mlflow.set_tracking_uri(tracking_uri(params, root))
    return mlflow


def tracking_uri(params: Params, root: Path) -> str:
    return params.mlflow.resolved_tracking_uri(root)


def shown_tracking_uri(params: Params, root: Path) -> str:
    """The tracking URI as messages and records name it: without credentials."""
    return without_credentials(tracking_uri(params, root))


def client(params: Params, root: Path) -> Any:
    return mlflow_module(params, root).MlflowClient()


def start_experiment(params: Params, root: Path, stage: str) -> Any:
    """mlflow with the project's experiment set, or a clear error naming the store."""
    mlflow = mlflow_module(params, root)
    try:
        mlflow.set_experiment(params.mlflow.experiment)
    except Exception as exc:  # connection refused, bad credentials, unusable store
        reason = str(exc).strip().splitlines()[0][:300]
        raise PipelineError(
            f"{stage}: MLflow at {shown_tracking_uri(params, root)} is not usable: "
            f"{without_credentials(str(reason))}"
        ) from exc
    return mlflow


def version_by_alias(params: Params, root: Path, alias: str) -> Any | None:
    """The model version `models:/<name>@<alias>` names, or None when there is none yet."""
    from mlflow.exceptions import MlflowException

    try:
        return client(params, root).get_model_version_by_alias(params.registry.model_name, alias)
    except MlflowException as exc:
        if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
            return None
        raise


def set_alias(params: Params, root: Path, environment: str, version: int) -> str:
    """Point `models:/<name>@<environment>` at `version`; says what happened, for the summary.

    With the embedded store on a fresh runner the version may not exist (nothing persisted):
    that is reported, not fatal, since the release record in Git is the source of truth.
    """
    from mlflow.exceptions import MlflowException

    registry = client(params, root)
    name = params.registry.model_name
    try:
        registry.get_model_version(name, str(version))
    except MlflowException:
        where = shown_tracking_uri(params, root)
        return f"alias {environment} not set: {name} version {version} is not in {where}"
    registry.set_registered_model_alias(name, environment, str(version))
    registry.set_model_version_tag(name, str(version), f"deployed.{environment}", "true")
    return f"models:/{name}@{environment} -> version {version}"


def download_run_artifacts(uri: str, run_id: str, artifact_path: str, destination: Path) -> None:
    """Copy a run's artifacts (a folder of them) from the tracking store at `uri`."""
    _quiet_mlflow().artifacts.download_artifacts(
        run_id=run_id, artifact_path=artifact_path, dst_path=str(destination), tracking_uri=uri
    )
