"""Pipeline commands: one per stage, `pipeline` for all of them, the summary, the gate benchmark."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

import typer

from ..run_lock import exclusive_run
from ..stages import STAGES
from .context import DEFAULT_PARAMS, ParamsOption, project

app = typer.Typer()


def _stage(name: str) -> Callable[..., None]:
    def command(params: ParamsOption = DEFAULT_PARAMS) -> None:
        from ..pipeline import run_stage, summarise

        with project(params) as (config, layout), exclusive_run(layout.root, name):
            result = run_stage(name, config, layout)
            typer.echo(f"{name}: ok {summarise(result, name)}")

    return command


for _index, (_name, _help) in enumerate(STAGES.items(), start=1):
    _text = f"{_index}. {_help}"  # short_help too: click would cut it at "1."
    app.command(_name, help=_text, short_help=_text)(_stage(_name))


@app.command(help=f"Run the {len(STAGES)} stages in order; stop at the first failure.")
def pipeline(params: ParamsOption = DEFAULT_PARAMS) -> None:
    from ..pipeline import closing_summary, run_pipeline

    started = time.monotonic()
    with project(params) as (config, layout), exclusive_run(layout.root, "pipeline"):
        run_pipeline(config, layout, typer.echo)
        seconds = time.monotonic() - started
        typer.echo("\n".join(closing_summary(config, layout, seconds)))


@app.command("bench-gate")
def bench_gate(
    params: ParamsOption = DEFAULT_PARAMS,
    rows: Annotated[
        list[int] | None, typer.Option("--rows", min=100, help="Row counts (repeatable)")
    ] = None,
) -> None:
    """Time and peak memory of the data gate on synthetic rows shaped like your data."""
    from ..bench.gate import measure, table

    with project(params) as (config, layout):
        sizes = rows or [10_000, 100_000, 1_000_000]
        results = {}
        for size in sizes:
            results[size] = measure(config, layout, size)
            typer.echo(f"{size:,} rows: {results[size].total_s:.1f} s")
        typer.echo(table(results, config.validation.max_rows))


@app.command()
def summary(params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Write the gate and metric summary (Markdown) to reports/ and the GitHub job summary."""
    from ..gates.summary import markdown
    from ..release.records import DeployState
    from ..release.summary import backends_note, publish

    with project(params) as (_, layout):
        record = DeployState(layout.root / "deploy").current("production")
        released = (record.version, record.metrics) if record else (None, {})
        text = f"{markdown(layout, released)}\n### Backends\n{backends_note()}\n"
        layout.reports.mkdir(parents=True, exist_ok=True)
        (layout.reports / "summary.md").write_text(text, encoding="utf-8")
        publish(text)
