"""Registry aliases follow the promotions: `staging` and `production` name the version running."""

from __future__ import annotations

from pathlib import Path

from ..config import Params


def set_alias(params: Params, root: Path, environment: str, version: int) -> str:
    """Point `models:/<name>@<environment>` at `version`; says what happened, for the summary.

    With the embedded store on a fresh runner the version may not exist (nothing persisted):
    that is reported, not fatal, since the release record in Git is the source of truth.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = params.mlflow.resolved_tracking_uri(root)
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient()
    name = params.registry.model_name
    try:
        client.get_model_version(name, str(version))
    except MlflowException:
        return f"alias {environment} not set: {name} version {version} is not in {uri}"
    client.set_registered_model_alias(name, environment, str(version))
    client.set_model_version_tag(name, str(version), f"deployed.{environment}", "true")
    return f"models:/{name}@{environment} -> version {version}"
