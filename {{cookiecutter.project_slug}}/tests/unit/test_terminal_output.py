"""What a person reads on the console: summaries as aligned text, a taken port named at once,
the version."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }} import __version__
from {{ cookiecutter.package_name }}.cli import app
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.gitinfo import uncommitted
from {{ cookiecutter.package_name }}.release.summary import plain_text
from {{ cookiecutter.package_name }}.serving.process import require_free_port


def test_markdown_summaries_print_as_aligned_text() -> None:
    markdown = (
        "## Model gates\n\n**Gate passed**\n\n| suite | check | result |\n|---|:---:|---|\n"
        "| Data Integrity | `Mixed Nulls` | passed |\n| Champion | r2 \\| f1 | not run |\n\n- a note\n"
    )
    assert plain_text(markdown).splitlines() == [
        "Model gates",
        "-----------",
        "",
        "Gate passed",
        "",
        "suite           check        result",
        "Data Integrity  Mixed Nulls  passed",
        "Champion        r2 | f1      not run",
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


def test_what_to_commit_is_what_git_shows_new_or_changed(tmp_path: Path, monkeypatch) -> None:
    contract = tmp_path / "data" / "contract.json"
    contract.parent.mkdir()
    contract.write_text("{}", encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere.json"
    outside.write_text("{}", encoding="utf-8")
    run = ["git", "-C", str(tmp_path), "-c", "user.name=D", "-c", "user.email=d@example.com"]
    subprocess.run([*run, "init", "--quiet"], check=True)
    assert uncommitted(tmp_path, [contract, outside]) == ["data/contract.json"]  # new
    subprocess.run([*run, "add", "."], check=True)
    subprocess.run([*run, "commit", "--quiet", "-m", "contract"], check=True)
    assert uncommitted(tmp_path, [contract]) == []
    contract.write_text('{"columns": {}}', encoding="utf-8")
    assert uncommitted(tmp_path, [contract]) == ["data/contract.json"]  # changed
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))  # no git: nothing to say
    assert uncommitted(tmp_path, [contract]) == []
