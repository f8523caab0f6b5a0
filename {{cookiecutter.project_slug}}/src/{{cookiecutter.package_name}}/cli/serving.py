"""Serving commands: serve the last bento, smoke-test it, benchmark it."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from ..layout import read_json, write_json
from .context import DEFAULT_PARAMS, ParamsOption, bento_tag, project, sample_rows

app = typer.Typer()


@app.command()
def serve(
    params: ParamsOption = DEFAULT_PARAMS,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: serving.port)")
    ] = None,
) -> None:
    """Serve the last packaged bento with `bentoml serve` (foreground)."""
    from ..serving.process import bentoml_command, require_free_port, serving_environment

    with project(params) as (config, layout):
        port = port or config.serving.port
        require_free_port(config.serving.host, port)
        command = [*bentoml_command(), "serve", bento_tag(layout), "--host", config.serving.host]
        command += ["--port", str(port)]
        typer.echo(" ".join(command))
        os.execve(command[0], command, serving_environment())


@app.command()
def smoke(
    params: ParamsOption = DEFAULT_PARAMS,
    rows: Annotated[int, typer.Option(min=1, help="Test rows to send")] = 3,
) -> None:
    """Serve the bento on a free loopback port, POST sample rows, print and save the answer."""
    from ..serving.process import predict, serving

    with project(params) as (_, layout), serving(bento_tag(layout)) as url:
        sent = sample_rows(layout, rows)
        body = predict(url, sent)
        write_json(layout.reports / "smoke.json", {"request": {"rows": sent}, "response": body})
        typer.echo(json.dumps(body, indent=2))


@app.command("bench-serve")
def bench_serve(
    params: ParamsOption = DEFAULT_PARAMS,
    users: Annotated[int, typer.Option(min=1, help="Concurrent users (the soak doubles it)")] = 4,
    seconds: Annotated[int, typer.Option(min=3, help="Seconds of load per target")] = 20,
    soak_seconds: Annotated[int, typer.Option(min=0, help="Seconds of soak (0: none)")] = 60,
    load: Annotated[
        str, typer.Option(help="Load generator: auto (wrk if installed), wrk or locust")
    ] = "auto",
    repeats: Annotated[
        int, typer.Option(min=1, help="Runs per single-row target (the median run is shown)")
    ] = 3,
) -> None:
    """Requests/s, rows/s, p50 and p99: bento (single, batched), mlflow serve, in-process.

    Requests are built from the test rows stored with the bento's model: the figures are the
    served model's whatever the working tree holds."""
    from ..bench.load import load_generator
    from ..bench.serve import run, table
    from ..serving.sample import stored_sample

    with project(params) as (_, layout):
        generator = load_generator(load)
        package = read_json(layout.package_record, "package")
        report = run(
            package["bento"],
            package["bento_model"],
            stored_sample(package["bento"]),
            users,
            seconds,
            soak_seconds,
            generator,
            repeats,
        )
        write_json(layout.reports / "serve-benchmark.json", report)
        typer.echo(table(report))
