"""The params file (params.yaml): one place for every stage's settings, validated on load.

Bad values fail early with the path of the offending key, instead of deep inside a stage.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import PipelineError
from .estimators import ESTIMATORS
from .metrics import DEFAULT_CHAMPION_METRIC, LOWER_IS_BETTER, NAMES

Task = Literal["classification", "regression"]
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    """Where the data comes from: `sklearn:<name>` for bundled samples, or a .csv/.parquet path."""

    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    categorical: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()


class SplitConfig(_Section):
    test_size: float = Field(gt=0.0, lt=1.0)
    seed: int = Field(default=42, ge=0, le=2**32 - 1)
    stratify: bool = True


class ModelConfig(_Section):
    estimator: str
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int = Field(default=42, ge=0, le=2**32 - 1)


class DataIntegrityGate(_Section):
    max_missing_ratio: Ratio = 0.05
    max_duplicate_ratio: Ratio = 0.05
    max_conflicting_label_ratio: Ratio = 0.0
    max_feature_label_pps: Ratio = 0.9
    min_class_ratio: Ratio = 0.05


class TrainTestGate(_Section):
    max_feature_drift: Ratio = 0.25
    max_drifted_features: int = Field(default=0, ge=0)
    max_label_drift: Ratio = 0.15
    max_multivariate_drift: Ratio = 0.25
    max_new_category_ratio: Ratio = 0.0
    max_train_test_mix_ratio: Ratio = 0.05


class ChampionGate(_Section):
    """The challenger against the model the alias names, on the same test data."""

    alias: str = Field(default="production", min_length=1)
    metric: str | None = None  # None: roc_auc for classification, r2 for regression
    tolerance: Annotated[float, Field(ge=0.0)] = 0.01  # how much worse it may be (absolute)

    def metric_for(self, task: str) -> str:
        return self.metric or DEFAULT_CHAMPION_METRIC[task]

    @staticmethod
    def lower_is_better(metric: str) -> bool:
        return metric in LOWER_IS_BETTER


class ModelGate(_Section):
    max_performance_degradation: Ratio = 0.2
    min_gain_over_simple_model: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.1
    minimums: dict[str, float] = Field(default_factory=dict)
    maximums: dict[str, float] = Field(default_factory=dict)
    champion: ChampionGate = ChampionGate()


class ValidationConfig(_Section):
    data_integrity: DataIntegrityGate = DataIntegrityGate()
    train_test: TrainTestGate = TrainTestGate()
    model: ModelGate = ModelGate()
    max_rows: int = Field(default=20_000, gt=0)
    near_duplicate_tolerance: Annotated[float, Field(ge=0.0, le=1.0)] = 0.001  # in std devs
    contract: str = Field(default="data/contract.json", min_length=1)

    def resolved_contract(self, root: Path) -> Path:
        path = Path(self.contract)
        return path if path.is_absolute() else root / path


class RegistryConfig(_Section):
    model_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    alias: str = Field(default="challenger", pattern=r"^[a-z][a-z0-9_-]*$")


# A URI's `user:password@`: refused in params.yaml, taken out of whatever is shown (tracking.py).
CREDENTIALS = re.compile(r"://[^/@\s]*@")


class MlflowConfig(_Section):
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


class ServingConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)


# host[:port]/path, lowercase, no tag or digest (added per release). The host has a dot or a
# port, or is localhost: a bare first word would be read as a Docker Hub user.
IMAGE_REPOSITORY = re.compile(
    r"^(?:(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)"
    r"(?::[0-9]{1,5})?|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?:[0-9]{1,5})"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$"
)


class ReleaseConfig(_Section):
    """Where promotions write (the default branch) and the image the deploy manifests run."""

    branch: str = Field(default="main", min_length=1)
    image: str = Field(min_length=1, pattern=IMAGE_REPOSITORY.pattern)

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


class Params(_Section):
    task: Task
    data: DataConfig
    split: SplitConfig
    model: ModelConfig
    validation: ValidationConfig = ValidationConfig()
    registry: RegistryConfig
    mlflow: MlflowConfig
    serving: ServingConfig = ServingConfig()
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
