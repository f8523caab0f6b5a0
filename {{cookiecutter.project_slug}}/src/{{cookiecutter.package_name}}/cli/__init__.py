"""Command line: one sub-command per pipeline stage, `pipeline` for all of them, serving,
monitoring, release."""

from __future__ import annotations

from typing import Annotated

import typer

from . import (
    batch,
    candidates,
    deployments,
    github_setup,
    monitoring,
    pipeline,
    release,
    serving,
    tracking_ui,
)

app = typer.Typer(
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    pretty_exceptions_enable=False,
    # Plain lines, not boxes: an error must read whole in a CI log, unwrapped, and grep-able.
    rich_markup_mode=None,
    help="Run the ML pipeline stage by stage, or all at once, serve the result, release it.",
)


def _show_version(asked: bool) -> None:
    if asked:
        from .. import __version__, distribution

        typer.echo(f"{distribution()} {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Run the ML pipeline stage by stage, or all at once, serve the result, release it."""


app.add_typer(pipeline.app)
app.add_typer(serving.app)
app.add_typer(batch.app)
app.add_typer(monitoring.app)
app.add_typer(tracking_ui.app)
app.add_typer(github_setup.app)
release.app.add_typer(candidates.app)
release.app.add_typer(deployments.app)
app.add_typer(release.app, name="release")
