"""Command line: one sub-command per pipeline stage, `pipeline` for all of them, and serving."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from .config import Params, load_params
from .errors import PipelineError
from .layout import Layout, read_json, require
from .release.commands import release_app

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Run the ML pipeline stage by stage, or all at once, and serve the result.",
)
ParamsOption = Annotated[
    Path, typer.Option("--params", "-p", help="Params file; paths resolve from its folder.")
]
DEFAULT_PARAMS = Path("params.yaml")
app.add_typer(release_app, name="release")


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a PipelineError into its message on stderr and exit code 1, without a traceback."""
    try:
        yield
    except PipelineError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


@contextmanager
def project(params_path: Path) -> Iterator[tuple[Params, Layout]]:
    """Load params (errors reported as above) and set the project-local stores."""
    with reported_errors():
        params = load_params(params_path)
        layout = Layout(params_path.resolve().parent)
        # A project-local BentoML store, unless the caller chose one.
        os.environ.setdefault("BENTOML_HOME", str(layout.root / ".bentoml"))
        os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        yield params, layout


def _stage(name: str, doc: str) -> Callable[..., None]:
    def command(params: ParamsOption = DEFAULT_PARAMS) -> None:
        from .pipeline import run_stage, summarise

        with project(params) as (config, layout):
            result = run_stage(name, config, layout)
            typer.echo(f"{name}: ok {summarise(result)}")

    command.__doc__ = doc
    return command


for _name, _doc in {
    "extract": "1. Load the configured dataset and record its content hash.",
    "analyse": "2. Profile the raw data (rows, columns, missing values, label).",
    "prepare": "3. Split into train and test sets, deterministically.",
    "validate_data": "4. The data gate: contract and deepchecks data suites; exits 1 naming each failed check.",
    "train": "5. Fit the scikit-learn pipeline.",
    "evaluate": "6. Score the model on the test set.",
    "validate_model": "7. The model gate: deepchecks model suite and metric floors; exits 1 naming each failed check.",
    "register": "8. Log the run to MLflow; register the model if the gates passed.",
    "package": "9. Import the registered model into BentoML and build a bento.",
}.items():
    app.command(_name)(_stage(_name, _doc))


@app.command()
def pipeline(params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Run stages 1 to 9 in order; stop at the first failure."""
    from .pipeline import run_pipeline

    with project(params) as (config, layout):
        run_pipeline(config, layout, typer.echo)
        record = read_json(layout.package_record, "package")
        typer.echo(f"pipeline: ok, bento {record['bento']} from {record['model_uri']}")


def _bento_tag(layout: Layout) -> str:
    return str(read_json(layout.package_record, "package")["bento"])


@app.command()
def serve(
    params: ParamsOption = DEFAULT_PARAMS,
    port: Annotated[int | None, typer.Option(help="Port (default: serving.port)")] = None,
) -> None:
    """Serve the last packaged bento with `bentoml serve` (foreground)."""
    from .smoke import bentoml_command, serving_environment

    with project(params) as (config, layout):
        command = [*bentoml_command(), "serve", _bento_tag(layout), "--host", config.serving.host]
        command += ["--port", str(port or config.serving.port)]
        typer.echo(" ".join(command))
        os.execve(command[0], command, serving_environment())


def sample_rows(params: Params, layout: Layout, count: int) -> list[dict[str, Any]]:
    """Rows of the held-out test set without the label: a realistic request body."""
    import pandas as pd

    test = pd.read_parquet(require(layout.test_data, "prepare"))
    features = test.drop(columns=[params.data.target]).head(count)
    return json.loads(features.to_json(orient="records"))


@app.command()
def smoke(
    params: ParamsOption = DEFAULT_PARAMS,
    rows: Annotated[int, typer.Option(min=1, help="Test rows to send")] = 3,
) -> None:
    """Serve the bento on a free loopback port, POST sample rows, print and save the answer."""
    from .layout import write_json
    from .smoke import predict, serving

    with project(params) as (config, layout), serving(_bento_tag(layout)) as url:
        sent = sample_rows(config, layout, rows)
        body = predict(url, sent)
        write_json(layout.reports / "smoke.json", {"request": {"rows": sent}, "response": body})
        typer.echo(json.dumps(body, indent=2))


@app.command("bench-gate")
def bench_gate(
    params: ParamsOption = DEFAULT_PARAMS,
    rows: Annotated[
        list[int] | None, typer.Option("--rows", min=100, help="Row counts (repeatable)")
    ] = None,
) -> None:
    """Time and peak memory of the data gate on synthetic rows shaped like your data."""
    from .benchmark import measure, table

    with project(params) as (config, layout):
        sizes = rows or [10_000, 100_000, 1_000_000]
        results = {}
        for size in sizes:
            results[size] = measure(config, layout, size)
            typer.echo(f"{size:,} rows: {sum(m.seconds for m in results[size]):.1f} s")
        typer.echo(table(results, config.validation.max_rows))


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
    """Requests/s, rows/s, p50 and p99: bento (single, batched), mlflow serve, in-process."""
    import pandas as pd

    from .layout import read_json, require, write_json
    from .serve_benchmark import load_generator, run, table

    with project(params) as (config, layout):
        generator = load_generator(load)
        package = read_json(layout.package_record, "package")
        test = pd.read_parquet(require(layout.test_data, "prepare"))
        report = run(
            package["bento"],
            package["bento_model"],
            test.drop(columns=[config.data.target]),
            users,
            seconds,
            soak_seconds,
            generator,
            repeats,
        )
        write_json(layout.reports / "serve-benchmark.json", report)
        typer.echo(table(report))


@app.command()
def summary(params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Write the gate and metric summary (Markdown) to reports/ and the GitHub job summary."""
    from .release.summary import backends_note, publish
    from .report import markdown

    with project(params) as (_, layout):
        text = f"{markdown(layout)}\n### Backends\n{backends_note()}\n"
        layout.reports.mkdir(parents=True, exist_ok=True)
        (layout.reports / "summary.md").write_text(text, encoding="utf-8")
        publish(text)
