"""What a registry must look like after any run, failed or not: every version whole (ready,
its artifacts in the object store, its tags), every alias on such a version."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.tracking import _quiet_mlflow

VERSION_TAGS = {"data.sha256", "git.commit", "gates.passed"}


def registry_state(url: str, name: str) -> dict[str, Any]:
    """Versions (number: run id) and aliases (alias: version) of `name`, each checked whole."""
    mlflow = _quiet_mlflow()
    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)  # models:/ URIs resolve in the registry, not the tracking URI
    client = mlflow.MlflowClient(tracking_uri=url, registry_uri=url)
    versions = client.search_model_versions(f"name='{name}'")
    for version in versions:
        assert version.status == "READY", (version.version, version.status)
        assert set(version.tags) >= VERSION_TAGS, (version.version, version.tags)
        with tempfile.TemporaryDirectory() as scratch:
            files = mlflow.artifacts.download_artifacts(
                f"models:/{name}/{version.version}", dst_path=scratch, tracking_uri=url
            )
            assert (Path(files) / "MLmodel").is_file(), f"version {version.version} has no model"
    aliases = dict(client.get_registered_model(name).aliases) if versions else {}
    numbers = {int(v.version) for v in versions}
    assert {int(v) for v in aliases.values()} <= numbers, aliases
    return {
        "versions": {int(v.version): v.run_id for v in versions},
        "aliases": {alias: int(v) for alias, v in aliases.items()},
    }
