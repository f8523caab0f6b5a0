"""`score`: a file or folder of rows scored by a registered model (`@production` unless another
alias is named), a chunk at a time, with the service's checks, scorer and prediction log.

Each row is checked as the service checks an upload (serving/table_input.py), so a bad cell gets
the service's message, here with its file and row. The predictions file holds each row's id
(the `--id` column's value, else `<run>:<row>`, the row's place across the whole input) and
its answer; the prediction log gets the same rows under the same ids as `request_id`, so
`monitor` sees batch traffic and labels join on those ids. Nothing is written where a reader
looks until the whole input is scored."""

from __future__ import annotations

import re
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import Params
from ..errors import PipelineError
from ..gates.reference import Reference, stored_reference
from ..layout import Layout
from ..serving.prediction_log import PredictionLog
from ..serving.process import located
from ..serving.request_ids import RequestId
from ..serving.scorers import Routed, SklearnScorer
from ..serving.scoring import score_rows
from ..serving.table_input import TableError, check_table
from ..tracking import mlflow_module, shown_tracking_uri, version_by_alias
from . import CHUNK_ROWS
from .chunks import Chunk, chunks, parts
from .outputs import PredictionsFile

ROW = re.compile(r"^(.*)\bat row (\d+)", re.DOTALL)  # the last "at row N": a cell may say it too
Progress = Callable[[int, int, Path], None]  # (rows scored so far, of all rows, file being read)


@dataclass(frozen=True)
class Model:
    version: str
    alias: str
    scorer: Routed
    schema: dict[str, str]
    nullable: set[str]
    classes: list[str]
    ignored: frozenset[str]  # the target and data.drop, left out as the service does


def load(params: Params, layout: Layout, alias: str) -> Model:
    """`models:/<name>@<alias>` with the feature schema its run stored."""
    name = params.registry.model_name
    version = version_by_alias(params, layout.root, alias)
    if version is None:
        raise PipelineError(
            f"score: no model at models:/{name}@{alias} in "
            f"{shown_tracking_uri(params, layout.root)} (release one, or name --alias)"
        )
    stored = stored_reference(params, layout.root, version, alias, "Batch Scoring")
    if not isinstance(stored, Reference) or stored.schema is None:
        why = stored.details if not isinstance(stored, Reference) else "no feature schema stored"
        raise PipelineError(f"score: version {version.version} (@{alias}): {why}")
    # by number: the alias may move on while this runs
    uri = f"models:/{name}/{version.version}"
    model = mlflow_module(params, layout.root).sklearn.load_model(uri)
    return Model(
        str(version.version),
        alias,
        Routed(SklearnScorer(model), None),  # chunks are large: scikit-learn's batch path
        stored.schema["features"],
        set(stored.schema.get("nullable", ())),
        [str(label) for label in stored.schema.get("classes", [])],
        frozenset({params.data.target, *params.data.drop}) - set(stored.schema["features"]),
    )


def _checked(chunk: Chunk, model: Model, id_column: str | None) -> tuple[pd.DataFrame, Any]:
    """The chunk's features in schema types and its ids; a bad cell is named as the service
    names it, with the file and the row's place in it."""
    frame = chunk.frame
    if id_column is not None:
        if id_column not in frame.columns:
            raise PipelineError(f"score: {chunk.file}: no --id column {id_column!r}")
        column = frame[id_column]
        empty = column.isna().to_numpy() | (column.astype(str).str.strip() == "").to_numpy()
        if empty.any():
            raise PipelineError(
                f"score: {chunk.file}: the --id column {id_column!r} is empty at row "
                f"{int(empty.argmax()) + chunk.start}: every row needs an id (labels join on it)"
            )
        ids = column.astype(str).to_numpy()
        frame = frame.drop(columns=[id_column])
    else:
        ids = None
    try:
        return check_table(frame, model.schema, model.nullable, model.ignored), ids  # type: ignore[arg-type]
    except TableError as error:
        message = ROW.sub(
            lambda found: f"{found[1]}at row {int(found[2]) + chunk.start}", str(error)
        )
        raise PipelineError(f"score: {chunk.file}: {message}") from error


def _check_all(files: list[Path], model: Model, id_column: str | None, rows: int) -> int:
    """A first pass over the whole input: every row checked, none scored or logged, so a bad
    cell in the last chunk leaves no trace of the first ones; returns the row count."""
    total, hashes, places = 0, [], []
    for file in files:
        for chunk in chunks(file, rows):
            features, ids = _checked(chunk, model, id_column)
            total += len(features)
            if ids is not None:  # 8 bytes an id, not the ids: memory stays one chunk's
                hashes.append(pd.util.hash_array(ids.astype(object)))
                places.append((file, chunk.start, len(features)))
    if hashes:
        _refuse_repeated_ids(np.concatenate(hashes), places, id_column)
    return total


def _refuse_repeated_ids(
    hashes: np.ndarray, places: list[tuple[Path, int, int]], id_column: str | None
) -> None:
    """Each --id value names one row: a repeated one would make the labels that arrive for it
    ambiguous, and monitor would leave them all out."""
    repeated = pd.Series(hashes).duplicated().to_numpy()
    if not repeated.any():
        return
    at = int(repeated.argmax())
    for file, start, length in places:
        if at < length:
            raise PipelineError(
                f"score: {file}: the --id {id_column!r} value at row {start + at} repeats an "
                f"earlier row's ({int(repeated.sum()):,} repeats in all): each id must name one "
                "row, since labels join on it"
            )
        at -= length


def _log_folder(target: Path) -> Path:
    """The folder the log's parts go to (the log names a file or a folder)."""
    return target.resolve() if target.is_dir() else target.resolve().parent


def run(
    params: Params,
    layout: Layout,
    source: Path,
    out: Path,
    alias: str = "production",
    id_column: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    log: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Score every row of `source` into `out`; returns the run's summary."""
    files = parts(source)
    if out.resolve() in {path.resolve() for path in files}:
        raise PipelineError(f"score: --out {out} is the input itself")
    if source.is_dir() and out.resolve().parent == source.resolve():
        raise PipelineError(
            f"score: --out {out} is in the input folder {source}: the next run would score it"
        )
    if out.is_dir():
        raise PipelineError(f"score: --out {out} is a folder: name a .csv or .parquet file")
    target = str(log) if log else located(layout.root)
    if target != "off" and out.resolve().parent == _log_folder(Path(target)):
        raise PipelineError(
            f"score: --out {out} is in the prediction log's folder {Path(target).parent}: "
            "monitor would read it as part of the log; write it elsewhere"
        )
    written = PredictionsFile(out)  # a wrong suffix is refused before anything is read
    model = load(params, layout, alias)
    batch = uuid.uuid4().hex
    sink = PredictionLog(target)
    begun, rows, errors = time.perf_counter(), 0, 0
    try:
        try:
            total = _check_all(files, model, id_column, chunk_rows)
        except PipelineError as refused:  # counted by `monitor` as the service counts a 400
            sink.refused(model.version, RequestId(batch, batch), f"400: {refused}")
            raise
        if total == 0:
            raise PipelineError(f"score: {source}: no rows")
        with written:
            for file in files:
                for chunk in chunks(file, chunk_rows):
                    features, ids = _checked(chunk, model, id_column)
                    keys = [f"{batch}:{rows + i}" for i in range(len(features))]
                    shown = keys if ids is None else ids
                    scores = score_rows(model.scorer, features)
                    answers = scores.columns(model.classes)  # as the service logs its answers
                    requests = [RequestId(*pair) for pair in zip(shown, keys, strict=True)]
                    sink.record(model.version, features, answers, requests)
                    sink.flush(timeout=120)  # the log keeps pace: memory stays one chunk's
                    written.write(pd.DataFrame({id_column or "request_id": shown, **answers}))
                    rows += len(features)
                    errors += len(scores.errors)
                    if progress is not None:
                        progress(rows, total, file)
    finally:
        sink.close()
    return {
        "model": {"name": params.registry.model_name, "version": model.version, "alias": alias},
        "input": str(source),
        "files": len(files),
        "out": str(out),
        "rows": rows,
        "row_errors": errors,
        "batch": batch,
        "seconds": round(time.perf_counter() - begun, 2),
        "prediction_log": {
            "path": sink.sink,
            "written": sink.written,
            "dropped": sink.dropped,
            "error": sink.last_error,
        },
    }


def terminal(found: dict[str, Any]) -> list[str]:
    model, log = found["model"], found["prediction_log"]
    lines = [
        f"score: {found['rows']:,} rows of {found['input']} scored by {model['name']} version "
        f"{model['version']} (@{model['alias']}) in {found['seconds']:.1f} s -> {found['out']}"
    ]
    if found["row_errors"]:
        lines.append(f"  {found['row_errors']:,} rows the model could not score: see `error`")
    if log["dropped"]:
        lost = f"{log['dropped']:,} rows not logged: {log['error']}"
        lines.append(f"  prediction log {log['path']}: {lost}")
    else:
        lines.append(f"  logged to {log['path']} (batch {found['batch']})")
    return lines


def stderr_progress(rows: int, total: int, file: Path) -> None:
    """A bar redrawn in place on a terminal; a line per chunk in a log (no control codes)."""
    done = rows / total if total else 1.0
    said = f"score: {rows:,} of {total:,} rows ({done:.0%}, {file.name})"
    if sys.stderr.isatty():
        bar = "#" * int(done * 30)
        end = "\n" if rows >= total else ""
        print(f"\r[{bar:<30}] {said}", end=end, file=sys.stderr, flush=True)
    else:
        print(said, file=sys.stderr, flush=True)
