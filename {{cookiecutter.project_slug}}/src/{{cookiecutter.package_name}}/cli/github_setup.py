"""`github-setup`: the repository's GitHub settings (.github/repository-setup.yml) applied."""

from __future__ import annotations

from typing import Annotated

import typer

from .context import DEFAULT_PARAMS, ParamsOption, project

app = typer.Typer()


@app.command("github-setup")
def github_setup(
    params: ParamsOption = DEFAULT_PARAMS,
    secrets_from_env: Annotated[
        bool,
        typer.Option(
            "--secrets-from-env",
            help="Set each missing secret from the variable of its name in this shell (via gh)",
        ),
    ] = False,
) -> None:
    """Apply .github/repository-setup.yml to the GitHub repository (environments and their
    reviewers, the release-tag ruleset, variables, secrets); prints what changed."""
    from ..release import github
    from ..release.github_setup import SETTINGS, GitHubApi, apply, load_settings

    with project(params) as (_, layout):
        settings = load_settings(layout.root / SETTINGS)
        repo = github.repository_of(layout.root)
        api = GitHubApi(github.api_url(), github.admin_token())
        typer.echo(f"GitHub repository {repo} ({github.api_url()}):")
        for line in apply(settings, api, repo, secrets_from_env):
            typer.echo(f"  {line}")
