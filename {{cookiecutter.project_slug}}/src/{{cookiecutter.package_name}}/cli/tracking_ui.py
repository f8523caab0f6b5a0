"""`mlflow-ui`: the project's MLflow store in MLflow's own UI, for a developer on their laptop."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from .context import DEFAULT_PARAMS, ParamsOption, project

app = typer.Typer()


@app.command("mlflow-ui")
def mlflow_ui(
    params: ParamsOption = DEFAULT_PARAMS,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1")] = 5000,
) -> None:
    """Open the tracking store (params.yaml or MLFLOW_TRACKING_URI) in `mlflow ui`, one worker,
    on loopback; a tracking server is named instead: it has its UI already."""
    from ..serving.process import require_free_port
    from ..tracking import shown_tracking_uri, tracking_uri

    with project(params) as (config, layout):
        uri = tracking_uri(config, layout.root)
        if uri.startswith(("http://", "https://", "databricks")):
            shown = shown_tracking_uri(config, layout.root)
            typer.echo(f"MLflow is a tracking server here, with its own UI: open {shown}")
            return
        require_free_port("127.0.0.1", port, "mlflow-ui")
        command = [
            str(Path(sys.executable).with_name("mlflow")), "ui", "--backend-store-uri", uri,
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        ]  # fmt: skip
        experiment = config.mlflow.experiment
        typer.echo(
            f"Starting MLflow's UI on http://127.0.0.1:{port}/ (experiment {experiment!r}); "
            "it answers in up to a minute. Ctrl-C stops it."
        )
        os.execve(command[0], command, {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"})
