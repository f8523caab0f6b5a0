"""Versioned data: a manifest per snapshot, committed to Git, while the data stays where it is.

`data/manifest.json` names the snapshot the pipeline last extracted: its sha256 (of the file's
bytes; of the values for a bundled sample, which has no file), the hash of its values alone
(equal for the same table as CSV or Parquet), schema, row count, source, the snapshot it
replaced (`parent`) and the commit it was first seen at. It is rewritten only when the data
changes, so its Git history is the list of data versions, and a changed manifest pushed to main
is what says new data has landed. Every MLflow run and model version carries the sha256.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import PipelineError
from .layout import write_json

SHA256 = re.compile(r"[0-9a-f]{64}")
FIELDS = ("sha256", "hash_of", "content_sha256", "source", "rows", "schema", "target")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(2**20):
            digest.update(block)
    return digest.hexdigest()


def content_hash(frame: pd.DataFrame) -> str:
    """A hash of values, column names and dtypes: stable across file formats and writers."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def snapshot(source: str, file: Path | None, frame: pd.DataFrame, target: str) -> dict[str, Any]:
    """What identifies the extracted data; `file` is None for a bundled sample."""
    values = content_hash(frame)
    return {
        "sha256": file_sha256(file) if file is not None else values,
        "hash_of": "file" if file is not None else "values",
        "content_sha256": values,
        "source": source,
        "rows": len(frame),
        "schema": {str(name): str(dtype) for name, dtype in frame.dtypes.items()},
        "target": target,
    }


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The committed manifest, None before the first run; a broken one is named, not replaced."""
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PipelineError(
            f"{path}: not a readable data manifest ({error}); restore it from Git if it was "
            "committed (`git checkout -- data/manifest.json`), or delete it to start a new history"
        ) from error
    if not isinstance(manifest, dict) or not SHA256.fullmatch(str(manifest.get("sha256"))):
        raise PipelineError(
            f"{path}: a data manifest is a JSON object whose 'sha256' is 64 hex digits; restore "
            "it from Git if it was committed, or delete it to start a new history"
        )
    return manifest


def record(path: Path, current: dict[str, Any], commit: str | None) -> dict[str, Any]:
    """The manifest for `current`: the committed one when the data is unchanged, else a new
    one whose parent is the version it replaces. `changed` says which (it is not stored)."""
    previous = read_manifest(path)
    if previous is not None and previous["sha256"] == current["sha256"]:
        return {**previous, "changed": False}
    manifest = {
        **{key: current[key] for key in FIELDS},
        "parent": previous["sha256"] if previous else None,
        "commit": commit,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_json(path, manifest)
    return {**manifest, "changed": True}


REFERENCE_ROWS = 10_000  # the training reference stored with each model: at most this many rows


def bounded_sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most `rows` rows drawn with `seed`, numbered from 0: the rows stored with a model."""
    if len(frame) <= rows:
        return frame.reset_index(drop=True)
    return frame.sample(rows, random_state=seed).reset_index(drop=True)


def reference_sample(train: pd.DataFrame, seed: int) -> pd.DataFrame:
    """At most REFERENCE_ROWS training rows, label included, drawn with the split's seed: what
    monitoring and the data gate compare new data with, without the original file."""
    return bounded_sample(train, REFERENCE_ROWS, seed)
