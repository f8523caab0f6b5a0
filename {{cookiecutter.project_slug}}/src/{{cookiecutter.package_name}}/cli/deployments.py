"""`release verify` checks an environment's release where it runs, again (Argo CD was slow, the
cluster was down); `release check-deploy` renders and validates every overlay."""

from __future__ import annotations

import typer

from ..release.manifests import check_deploy
from ..release.rules import answered_where_deployed
from ..release.summary import publish
from ..release.verify import verify_deployed
from ..release.versions import ReleaseError
from .context import DEFAULT_PARAMS, ParamsOption, project
from .release import EnvOption, checked_note

app = typer.Typer()


@app.command("verify")
def verify(environment: EnvOption, params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Smoke-test what ENV runs now where it is deployed, and record the answer in deploy/."""
    with project(params) as (config, layout):
        record = verify_deployed(config, layout, environment)  # type: ignore[arg-type]
        publish(checked_note(record))
        if not answered_where_deployed(record, config.release.url(environment)):
            raise ReleaseError(checked_note(record))


@app.command("check-deploy")
def check_deploy_command(params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Render every overlay with the pinned kustomize, validate it strictly, and check that
    each Argo CD Application syncs an overlay that renders."""
    with project(params) as (config, layout):
        for line in check_deploy(layout.root / "deploy", config.release.branch):
            typer.echo(line)
