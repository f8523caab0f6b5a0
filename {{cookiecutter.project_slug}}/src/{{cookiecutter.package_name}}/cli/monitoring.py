"""The `monitor` command: served traffic against the serving model's reference; its exit
status is the verdict (0 no drift, 3 drift, 4 not enough data; 1 an error)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .context import DEFAULT_PARAMS, LogOption, ParamsOption, project, reported_errors

app = typer.Typer()


@app.command()
def monitor(
    params: ParamsOption = DEFAULT_PARAMS,
    window: Annotated[
        str | None, typer.Option(help="How far back, e.g. 24h or 7d (default: monitoring.window)")
    ] = None,
    last: Annotated[
        int | None, typer.Option(min=1, help="The newest N rows instead of a time window")
    ] = None,
    log: LogOption = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="CSV/Parquet of request_id, row and the target: live metrics"),
    ] = None,
) -> None:
    """Compare a window of the prediction log with the serving model's training reference."""
    from ..monitoring import monitor as monitoring
    from ..monitoring.summary import EXIT_CODES, markdown, terminal
    from ..release import github

    with project(params) as (config, layout), reported_errors():
        found = monitoring.run(config, layout, span=window, last=last, log=log, labels=labels)
    for line in terminal(found):
        typer.echo(line)
    # a workflow acts on the verdict (monitor.yml starts retraining on drift)
    github.set_outputs(verdict=found["status"].replace(" ", "-"))
    github.append_summary(markdown(found))
    raise typer.Exit(EXIT_CODES[found["status"]])


@app.command("bench-monitor")
def bench_monitor(
    params: ParamsOption = DEFAULT_PARAMS,
    rows: Annotated[
        list[int] | None, typer.Option("--rows", min=100, help="Logged rows (repeatable)")
    ] = None,
) -> None:
    """Time and peak memory of `monitor` on a synthetic prediction log of 100k and 1M rows."""
    from ..bench.monitor import measure, table

    with project(params) as (config, layout):
        results = measure(config, layout, tuple(rows or (100_000, 1_000_000)))
        typer.echo(table(results, config.validation.max_rows))
