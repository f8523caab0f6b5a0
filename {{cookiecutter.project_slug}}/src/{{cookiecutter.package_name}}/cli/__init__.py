"""Command line: one sub-command per pipeline stage, `pipeline` for all of them, serving,
monitoring, release."""

from __future__ import annotations

import typer

from . import batch, candidates, monitoring, pipeline, release, serving

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain lines, not boxes: an error must read whole in a CI log, unwrapped, and grep-able.
    rich_markup_mode=None,
    help="Run the ML pipeline stage by stage, or all at once, serve the result, release it.",
)
app.add_typer(pipeline.app)
app.add_typer(serving.app)
app.add_typer(batch.app)
app.add_typer(monitoring.app)
release.app.add_typer(candidates.app)
app.add_typer(release.app, name="release")
