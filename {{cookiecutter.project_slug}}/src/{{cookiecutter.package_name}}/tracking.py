"""The one connection to MLflow: tracking store, experiment and registry helpers.

Every stage and release command that talks to MLflow goes through here, so the tracking URI
(params.yaml, or MLFLOW_TRACKING_URI), the quiet logging and the telemetry switch are set in
one place. mlflow is imported only when a helper is called.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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
    # A server that is down fails a command in about half a minute (MLflow's own default
    # retries for minutes), and a restart shorter than that goes unnoticed.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # mlflow resets it on import
    return mlflow


_NO_ANSWER = (
    ("refused", re.compile(r"Connection refused|NewConnectionError|Failed to establish")),
    ("reset", re.compile(r"Connection (reset|aborted)|RemoteDisconnected|BadStatusLine")),
    ("timed out", re.compile(r"timed out|Timeout", re.IGNORECASE)),
)
_STATUS = re.compile(
    r"failed with error code (\d{3})|status code (\d{3})|HTTP (\d{3})|too many (\d{3}) error"
)
_REFUSED_WRITE = re.compile(r"AccessDenied|Access Denied|Forbidden|NoSuchBucket|QuotaExceeded")


def store_failure(exc: BaseException) -> str | None:
    """What a failed MLflow call says of the server or the stores behind it, in a few words;
    None when the failure is of another kind (a bad request, a missing model)."""
    text = f"{type(exc).__name__}: {exc}"
    for reason, pattern in _NO_ANSWER:
        if pattern.search(text):
            return (
                f"did not answer (connection {reason})"
                if reason != "timed out"
                else ("did not answer in time")
            )
    status = next((int(g) for m in _STATUS.finditer(text) for g in m.groups() if g), None)
    refused = _REFUSED_WRITE.search(text)
    if refused and "artifact" in text.lower():
        return f"could not store artifacts: its object store refused ({refused.group(0)})"
    if status is not None and status >= 500:
        return f"failed with HTTP {status} (the server or its database or object store)"
    return None


def failure_reason(exc: BaseException, where: str = "") -> str:
    """A failed call's reason in one short line, without credentials; a failure of the server
    (at `where`, when given) is named as one."""
    known = store_failure(exc)
    if known:
        return f"MLflow at {where} {known}" if where else known
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return without_credentials(f"{type(exc).__name__}: {text}")


@contextmanager
def named_failures(params: Params, root: Path) -> Iterator[None]:
    """A failure of the tracking server or its stores as one line naming the server; other
    errors pass unchanged."""
    try:
        yield
    except PipelineError:
        raise
    except Exception as exc:
        known = store_failure(exc)
        if known is None:
            raise
        raise PipelineError(
            f"MLflow at {shown_tracking_uri(params, root)} {known}; rerun once it answers"
        ) from exc


def require_reachable(params: Params, root: Path, doing: str) -> None:
    """Refuse `doing` now, before anything changed, when the tracking server does not answer."""
    try:
        client(params, root).search_registered_models(max_results=1)
    except Exception as exc:
        known = store_failure(exc) or failure_reason(exc)
        raise PipelineError(
            f"MLflow at {shown_tracking_uri(params, root)} {known}: {doing} refused before "
            "anything changed; rerun once it answers"
        ) from exc


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


# MLflow 3's UI reads the experiment's kind ("classification", "regression", ...) to open on its
# runs; an experiment without one may open on GenAI traces.
EXPERIMENT_KIND = "mlflow.experimentKind"


def start_experiment(params: Params, root: Path, stage: str) -> Any:
    """mlflow with the project's experiment set, or a clear error naming the store."""
    mlflow = mlflow_module(params, root)
    try:
        experiment = mlflow.set_experiment(params.mlflow.experiment)
        if EXPERIMENT_KIND not in experiment.tags:  # MLflow 3's UI then opens on its runs
            mlflow.set_experiment_tag(EXPERIMENT_KIND, params.task)
    except Exception as exc:  # connection refused, bad credentials, unusable store
        known = store_failure(exc)
        shown = known or f"is not usable: {failure_reason(exc)}"
        raise PipelineError(
            f"{stage}: MLflow at {shown_tracking_uri(params, root)} {shown}"
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
    where = shown_tracking_uri(params, root)
    try:
        registry.get_model_version(name, str(version))
        registry.set_registered_model_alias(name, environment, str(version))
        registry.set_model_version_tag(name, str(version), f"deployed.{environment}", "true")
    except MlflowException as exc:
        known = store_failure(exc)
        if known:  # Git holds the release; say how to bring the alias in line
            return (
                f"alias {environment} NOT set: MLflow at {where} {known}; once it answers: "
                f"mlflow's client set_registered_model_alias({name!r}, {environment!r}, "
                f"{str(version)!r})"
            )
        return f"alias {environment} not set: {name} version {version} is not in {where}"
    return f"models:/{name}@{environment} -> version {version}"


def download_run_artifacts(uri: str, run_id: str, artifact_path: str, destination: Path) -> None:
    """Copy a run's artifacts (a folder of them) from the tracking store at `uri`."""
    _quiet_mlflow().artifacts.download_artifacts(
        run_id=run_id, artifact_path=artifact_path, dst_path=str(destination), tracking_uri=uri
    )


def input_example(params: Params, root: Path, version: int) -> list[dict[str, Any]]:
    """The rows a registered model version was logged with (its input example): a smoke
    request any job with registry access can send, without the bento or the data."""
    mlflow = mlflow_module(params, root)
    uri = f"models:/{params.registry.model_name}/{version}"
    try:
        with tempfile.TemporaryDirectory(prefix="example-") as scratch:
            for name in ("MLmodel", "input_example.json"):
                mlflow.artifacts.download_artifacts(artifact_uri=f"{uri}/{name}", dst_path=scratch)
            example = mlflow.models.Model.load(scratch).load_input_example(scratch)
    except Exception as exc:  # no such version, the server down, the artifact missing
        reason = store_failure(exc) or failure_reason(exc)
        raise PipelineError(f"{uri} at {shown_tracking_uri(params, root)}: {reason}") from exc
    if example is None or not len(example):
        raise PipelineError(f"{uri} was logged without an input example")
    return json.loads(example.to_json(orient="records"))  # NaN as null, as a client sends it
