"""What a person reads on the console: summaries as aligned text, a taken port named at once,
the version."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.cli import app
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.release.summary import plain_text
from {{ cookiecutter.package_name }}.serving.process import require_free_port


def test_markdown_summaries_print_as_aligned_text() -> None:
    markdown = (
        "## Model gates\n\n**Gate passed**\n\n| suite | check | result |\n|---|:---:|---|\n"
        "| Data Integrity | `Mixed Nulls` | passed |\n| Champion | r2 | not run |\n\n- a note\n"
    )
    assert plain_text(markdown).splitlines() == [
        "Model gates",
        "-----------",
        "",
        "Gate passed",
        "",
        "suite           check        result",
        "Data Integrity  Mixed Nulls  passed",
        "Champion        r2           not run",
        "",
        "- a note",
    ]


def test_a_taken_port_is_refused_naming_the_way_out() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        said = (
            rf"port {port} on 127.0.0.1 is not free .*"
            r"`make serve PORT=<port>` \(the CLI's --port\), or set serving.port"
        )
        with pytest.raises(PipelineError, match=said):
            require_free_port("127.0.0.1", port)
        with pytest.raises(PipelineError, match=r"`make mlflow-ui PORT=<port>`[^,]*$"):
            require_free_port("127.0.0.1", port, "mlflow-ui")
    require_free_port("127.0.0.1", port)  # free again: no error


def test_version_and_completion_are_offered() -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["--version"])
    assert done.exit_code == 0 and done.stdout.strip().endswith(f" {__version__}")
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout
