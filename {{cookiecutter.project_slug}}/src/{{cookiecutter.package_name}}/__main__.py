"""`python -m <package>` runs the CLI, so tests and scripts need no console-script path."""

from .cli import app

app()
