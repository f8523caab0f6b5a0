"""The champion's training reference: what new data is compared with, beyond its own split.

Each registered version stores a bounded sample of the rows it was trained on (`reference/`
artifacts of its run, stages/register.py). The data gate loads the sample of the model
`validation.model.champion.alias` names and runs drift checks of the new snapshot against it.
The first model ever has no champion: its data is checked within itself only, and the report
says so; a store that cannot be read fails the gate rather than waving the data through.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Params
from ..tracking import (
    client,
    download_run_artifacts,
    failure_reason,
    shown_tracking_uri,
    tracking_uri,
    version_by_alias,
)
from .report import CheckOutcome, not_run

SUITE = "Reference Drift"
REPORT_KEY = "reference_drift"
FOLDER = "reference"  # the run's artifact folder: sample.parquet, manifest.json and the schema
SCHEMA_FILE = "feature_schema.json"


@dataclass(frozen=True)
class Reference:
    version: str
    alias: str
    frame: pd.DataFrame
    schema: dict[str, Any] | None = None  # the features' kinds, nullable ones, classes

    @property
    def note(self) -> str:
        return f"version {self.version} (@{self.alias}): {len(self.frame):,} reference rows"


def _failed(details: str, suite: str = SUITE) -> CheckOutcome:
    return CheckOutcome(suite, "(suite)", "the model's reference is readable", "failed", details)


def _none_stored(version: str, alias: str, suite: str = SUITE) -> CheckOutcome:
    return not_run(
        suite,
        f"version {version} (@{alias}) has no stored reference (registered before references "
        "were kept): the next model registered will have one",
    )


def champion_reference(params: Params, root: Path) -> Reference | CheckOutcome:
    """The champion's reference sample, or the outcome that says why there is none to use."""
    alias = params.validation.model.champion.alias
    try:
        version = version_by_alias(params, root, alias)
    except Exception as exc:  # an unreachable store must not let drifted data through
        where = shown_tracking_uri(params, root)
        return _failed(f"@{alias} cannot be read: {failure_reason(exc, where)}")
    if version is None:
        return not_run(
            SUITE, f"no @{alias} model yet: the first model's data is checked within itself only"
        )
    return stored_reference(params, root, version, alias)


def stored_reference(
    params: Params, root: Path, version: Any, alias: str, suite: str = SUITE
) -> Reference | CheckOutcome:
    """The reference sample a model version's run stored (`alias`: how it was found)."""
    number = str(version.version)
    try:
        stored = {item.path for item in client(params, root).list_artifacts(version.run_id, FOLDER)}
    except Exception as exc:
        return _failed(
            f"the artifacts of version {number} (@{alias}) cannot be listed: "
            f"{failure_reason(exc, shown_tracking_uri(params, root))}",
            suite,
        )
    if f"{FOLDER}/sample.parquet" not in stored:
        return _none_stored(number, alias, suite)
    with tempfile.TemporaryDirectory(prefix="reference-") as scratch:
        try:
            download_run_artifacts(
                tracking_uri(params, root), version.run_id, FOLDER, Path(scratch)
            )
            frame = pd.read_parquet(Path(scratch) / FOLDER / "sample.parquet")
            schema_file = Path(scratch) / FOLDER / SCHEMA_FILE
            schema = json.loads(schema_file.read_text("utf-8")) if schema_file.is_file() else None
        except Exception as exc:  # listed, yet gone or damaged: nothing can vouch for the data
            return _failed(
                f"the reference of version {number} (@{alias}) cannot be read: "
                f"{failure_reason(exc, shown_tracking_uri(params, root))}",
                suite,
            )
    return Reference(number, alias, frame, schema)


def comparable(reference: Reference, new: pd.DataFrame, target: str) -> list[str] | CheckOutcome:
    """The columns both share (label included), or why they cannot be compared."""
    if target not in reference.frame.columns or target not in new.columns:
        return not_run(SUITE, f"the label {target!r} is not in both the reference and this data")
    shared = [column for column in new.columns if column in reference.frame.columns]
    if len(shared) < 2:
        return not_run(
            SUITE, f"this data shares no feature with {reference.note}: the schema changed"
        )
    return shared
