"""Every gate's and the monitor's thresholds: the `validation` and `monitoring` sections of
params.yaml, with their defaults (config.py puts them into the whole params file)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .metrics import DEFAULT_CHAMPION_METRIC, LOWER_IS_BETTER

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataIntegrityGate(Section):
    max_missing_ratio: Ratio = 0.05
    max_duplicate_ratio: Ratio = 0.05
    max_conflicting_label_ratio: Ratio = 0.0
    max_feature_label_pps: Ratio = 0.9
    min_class_ratio: Ratio = 0.05


class TrainTestGate(Section):
    max_feature_drift: Ratio = 0.25
    max_drifted_features: int = Field(default=0, ge=0)
    max_label_drift: Ratio = 0.15
    max_multivariate_drift: Ratio = 0.25
    max_new_category_ratio: Ratio = 0.0
    max_train_test_mix_ratio: Ratio = 0.05


class ReferenceGate(Section):
    """New data against the champion's training reference: a change hitting both splits."""

    max_feature_drift: Ratio = 0.25
    max_drifted_features: int = Field(default=0, ge=0)
    max_label_drift: Ratio = 0.15
    max_out_of_range_ratio: Ratio = 0.01  # per column, outside the contract's learned min/max


class ChampionGate(Section):
    """The challenger against the model the alias names, on the same test data."""

    alias: str = Field(default="production", min_length=1)
    metric: str | None = None  # None: roc_auc for classification, r2 for regression
    tolerance: Annotated[float, Field(ge=0.0)] = 0.01  # how much worse it may be (absolute)

    def metric_for(self, task: str) -> str:
        return self.metric or DEFAULT_CHAMPION_METRIC[task]

    @staticmethod
    def lower_is_better(metric: str) -> bool:
        return metric in LOWER_IS_BETTER


class ModelGate(Section):
    max_performance_degradation: Ratio = 0.2
    min_gain_over_simple_model: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.1
    minimums: dict[str, float] = Field(default_factory=dict)
    maximums: dict[str, float] = Field(default_factory=dict)
    champion: ChampionGate = ChampionGate()


class ValidationConfig(Section):
    data_integrity: DataIntegrityGate = DataIntegrityGate()
    train_test: TrainTestGate = TrainTestGate()
    reference: ReferenceGate = ReferenceGate()
    model: ModelGate = ModelGate()
    max_rows: int = Field(default=20_000, gt=0)
    near_duplicate_tolerance: Annotated[float, Field(ge=0.0, le=1.0)] = 0.001  # in std devs
    contract: str = Field(default="data/contract.json", min_length=1)

    def resolved_contract(self, root: Path) -> Path:
        path = Path(self.contract)
        return path if path.is_absolute() else root / path


LONGEST_DURATION_S = 36_500 * 86_400


def duration(text: str) -> timedelta:
    """`90s`, `15m`, `24h`, `7d` as a timedelta; anything else is refused with the forms."""
    match = DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"{text!r} is not a duration: use a positive number and s, m, h or d (24h)"
        )
    seconds = int(match.group(1)) * SECONDS[match.group(2)]
    if seconds > LONGEST_DURATION_S:  # a time before any log, and before datetime's year 1
        raise ValueError(f"{text!r} is longer than 100 years (36500d): a log holds less")
    return timedelta(seconds=seconds)


class MonitoringConfig(Section):
    """The served traffic against the serving model's training reference (`monitor`)."""

    window: str = "7d"  # the prediction log's newest rows within this long
    min_rows: int = Field(default=200, gt=0)  # fewer: "not enough data", no verdict
    max_feature_drift: Ratio = 0.25
    max_drifted_features: int = Field(default=0, ge=0)
    max_prediction_drift: Ratio = 0.15
    max_refused_share: Ratio = 0.05  # of the window's requests, once it has min_requests
    min_requests: int = Field(default=20, gt=0)
    # live metrics, once labels arrive (`monitor --labels`): the serving version's test metric
    # (validation.model.champion's metric) may be at most this much worse on labelled traffic
    max_metric_drop: Annotated[float, Field(ge=0.0)] = 0.05
    min_labels: int = Field(default=50, gt=0)  # fewer labelled rows: not run

    @field_validator("window")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        duration(value)
        return value
