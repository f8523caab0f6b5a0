"""The params file (params.yaml): one place for every stage's settings, validated on load.

Bad values fail early with the path of the offending key, instead of deep inside a stage.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from .errors import PipelineError
from .estimators import ESTIMATORS
from .metrics import NAMES
from .thresholds import MonitoringConfig, Section, ValidationConfig

Task = Literal["classification", "regression"]


class DataConfig(Section):
    """Where the data comes from: `sklearn:<name>` for bundled samples, or a .csv/.parquet path."""

    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    categorical: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()


class SplitConfig(Section):
    test_size: float = Field(gt=0.0, lt=1.0)
    seed: int = Field(default=42, ge=0, le=2**32 - 1)
    stratify: bool = True


class ModelConfig(Section):
    estimator: str
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int = Field(default=42, ge=0, le=2**32 - 1)


class RegistryConfig(Section):
    model_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    alias: str = Field(default="challenger", pattern=r"^[a-z][a-z0-9_-]*$")


# A URI's `user:password@`: refused in params.yaml, taken out of whatever is shown (tracking.py).
CREDENTIALS = re.compile(r"://[^/@\s]*@")


class MlflowConfig(Section):
    tracking_uri: str = Field(min_length=1)
    experiment: str = Field(min_length=1)

    @field_validator("tracking_uri")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        """params.yaml is committed: a password in it would be in Git, CI logs and reports."""
        if CREDENTIALS.search(value):
            raise ValueError(
                "carries credentials (before '@'): keep the URI without them and set "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)"
            )
        return value

    def resolved_tracking_uri(self, root: Path | None = None) -> str:
        """MLFLOW_TRACKING_URI wins, so CI and shared servers switch without editing files.

        A relative SQLite path resolves from the project root (the params file's folder), not
        from wherever the command was started.
        """
        uri = os.environ.get("MLFLOW_TRACKING_URI") or self.tracking_uri
        if root is not None and uri.startswith("sqlite:///"):
            path = Path(uri.removeprefix("sqlite:///"))
            if not path.is_absolute():
                uri = f"sqlite:///{(root / path).resolve()}"
        return uri


class ServingConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)


# host[:port]/path, lowercase, no tag or digest (added per release). The host has a dot or a
# port, or is localhost: a bare first word would be read as a Docker Hub user.
IMAGE_REPOSITORY = re.compile(
    r"^(?:(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)"
    r"(?::[0-9]{1,5})?|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?:[0-9]{1,5})"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$"
)


def service_url(raw: str) -> str:
    """An http(s) base address without credentials, query or fragment, or a ValueError
    saying what is wrong with it (it is committed with each check, and printed)."""
    url = raw.strip().rstrip("/")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is no number)
        (parts.hostname or "").encode("idna")
    except (ValueError, UnicodeError) as error:
        raise ValueError(f"{raw!r} is no address: {error}") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname or " " in url:
        raise ValueError(f"{raw!r} is no http(s) address (e.g. https://model.staging.example.com)")
    if parts.username or parts.password:  # not repeated: it would print the password
        raise ValueError("holds credentials: an address is committed and printed, never them")
    if parts.query or parts.fragment:
        raise ValueError(f"{raw!r} may hold no query or fragment")
    return url


class ReleaseConfig(Section):
    """Where promotions write (the default branch), the image the deploy manifests run, and
    where each environment's service answers once deployed (release/deployed.py)."""

    branch: str = Field(default="main", min_length=1)
    image: str = Field(min_length=1, pattern=IMAGE_REPOSITORY.pattern)
    staging_url: str = ""
    production_url: str = ""
    # the rollout's time to serve a release; below the release and rollback jobs' time limits
    deploy_wait_seconds: float = Field(default=600.0, gt=0, le=900)

    @field_validator("staging_url", "production_url")
    @classmethod
    def _service_url(cls, value: str) -> str:
        return service_url(value) if value.strip() else ""

    @model_validator(mode="after")
    def _apart(self) -> ReleaseConfig:
        if self.staging_url and self.staging_url == self.production_url:
            raise ValueError("staging_url and production_url name the same service")
        return self

    def url(self, environment: str) -> str:
        """The environment's deployed service, or "" (then its overlay runs under podman)."""
        return {"staging": self.staging_url, "production": self.production_url}[environment]

    def resolved_image(self) -> str:
        """IMAGE_REPOSITORY wins, so a fork or another registry needs no file change."""
        override = os.environ.get("IMAGE_REPOSITORY", "").strip()
        if override and not IMAGE_REPOSITORY.fullmatch(override):
            raise PipelineError(
                f"IMAGE_REPOSITORY={override!r} is not an image repository: use "
                "host[:port]/path in lowercase, without a tag or digest (e.g. ghcr.io/org/name)"
            )
        return override or self.image

    def registry(self) -> str:
        """The registry host the image is pushed to (what a registry login needs)."""
        return self.resolved_image().split("/", 1)[0]


class Params(Section):
    task: Task
    data: DataConfig
    split: SplitConfig
    model: ModelConfig
    validation: ValidationConfig = ValidationConfig()
    registry: RegistryConfig
    mlflow: MlflowConfig
    serving: ServingConfig = ServingConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    release: ReleaseConfig

    @model_validator(mode="after")
    def _check_task_specific(self) -> Params:
        if self.model.estimator not in ESTIMATORS[self.task]:
            allowed = ", ".join(ESTIMATORS[self.task])
            raise ValueError(
                f"model.estimator {self.model.estimator!r} is not available for {self.task}; "
                f"choose one of: {allowed}"
            )
        known = NAMES[self.task]
        for bound in ("minimums", "maximums"):
            unknown = sorted(set(getattr(self.validation.model, bound)) - set(known))
            if unknown:
                raise ValueError(
                    f"validation.model.{bound} has unknown metric(s) {unknown} for {self.task}; "
                    f"known: {', '.join(known)}"
                )
        champion = self.validation.model.champion
        if champion.metric is not None and champion.metric not in known:
            raise ValueError(
                f"validation.model.champion.metric {champion.metric!r} is unknown for "
                f"{self.task}; known: {', '.join(known)}"
            )
        if self.data.target in self.data.drop:
            raise ValueError(f"data.drop must not contain the target column {self.data.target!r}")
        return self

    @field_validator("task", mode="before")
    @classmethod
    def _task_is_text(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


def _format_errors(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid parameters:"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  - {where}: {item['msg']}")
    return "\n".join(lines)


def load_params(path: Path | str = "params.yaml") -> Params:
    """Read and validate the params file; every problem is reported with its key path."""
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{path}: params file not found (run from the project root?)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PipelineError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise PipelineError(f"{path}: expected a mapping of sections, got {type(raw).__name__}")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise PipelineError(_format_errors(path, exc)) from exc
