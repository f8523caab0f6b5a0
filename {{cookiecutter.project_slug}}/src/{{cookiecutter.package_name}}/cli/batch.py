"""Batch scoring: `score` a file or folder with a registered model, `bench-score` its speed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..batch import CHUNK_ROWS
from ..layout import write_json
from .context import DEFAULT_PARAMS, LogOption, ParamsOption, project, reported_errors

app = typer.Typer()


@app.command()
def score(
    source: Annotated[Path, typer.Argument(help="A CSV or Parquet file, or a folder of them")],
    out: Annotated[Path, typer.Option(help="Predictions file to write (.csv or .parquet)")],
    params: ParamsOption = DEFAULT_PARAMS,
    alias: Annotated[str, typer.Option(help="The model alias to score with")] = "production",
    id_column: Annotated[
        str | None,
        typer.Option("--id", help="The rows' id column (default: <batch>:<row> ids)"),
    ] = None,
    chunk_rows: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Rows read and scored at a time")
    ] = CHUNK_ROWS,
    log: LogOption = None,
) -> None:
    """Score every row with models:/<name>@<alias>, in chunks, into --out and the prediction log."""
    from ..batch.score import run, stderr_progress, terminal

    with project(params) as (config, layout), reported_errors():
        found = run(config, layout, source, out, alias, id_column, chunk_rows, log,
                    stderr_progress)  # fmt: skip
    write_json(layout.reports / "score.json", found)
    for line in terminal(found):
        typer.echo(line)


@app.command("bench-score")
def bench_score(
    params: ParamsOption = DEFAULT_PARAMS,
    rows: Annotated[
        list[int] | None, typer.Option("--rows", min=100, help="Input rows (repeatable)")
    ] = None,
    chunk_rows: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Rows read and scored at a time")
    ] = CHUNK_ROWS,
) -> None:
    """Time and peak memory of `score` on a synthetic input of 100k and 1M rows."""
    from ..bench.score import measure, table

    with project(params) as (config, layout):
        results = measure(config, layout, tuple(rows or (100_000, 1_000_000)), chunk_rows)
        typer.echo(table(results, chunk_rows))
