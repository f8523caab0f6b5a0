"""What every command shares: the params option, the project it opens, errors without tracebacks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import Params, load_params
from ..errors import PipelineError
from ..layout import Layout, read_json
from ..tracking import named_failures

ParamsOption = Annotated[
    Path, typer.Option("--params", "-p", help="Params file; paths resolve from its folder.")
]
DEFAULT_PARAMS = Path("params.yaml")
LogOption = Annotated[
    Path | None,
    typer.Option(help="The prediction log (default: PREDICTION_LOG, or the service's)"),
]


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
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        with named_failures(params, layout.root):
            yield params, layout


def bento_tag(layout: Layout) -> str:
    """The bento the last `package` stage built."""
    return str(read_json(layout.package_record, "package")["bento"])


def sample_rows(layout: Layout, count: int) -> list[dict[str, Any]]:
    """Test rows of the packaged bento's model, without the label: a realistic request body."""
    from ..serving.sample import sample_records

    return sample_records(bento_tag(layout), count)
