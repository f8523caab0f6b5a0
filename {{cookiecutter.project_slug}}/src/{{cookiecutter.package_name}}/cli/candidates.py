"""Retraining's release commands: `release candidate` tags the next release candidate by the
documented rule and pushes it; `release propose` opens the issue that asks to promote it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ..layout import read_json
from ..release import github, model_card
from ..release.candidates import open_issue, proposal, tag_candidate
from ..release.records import ReleaseRecord
from ..release.summary import publish
from ..release.versions import ReleaseError
from ..tracking import tracking_uri
from .context import DEFAULT_PARAMS, ParamsOption, project
from .release import TagOption, release_state

app = typer.Typer()


@app.command("candidate")
def candidate(
    reason: Annotated[str, typer.Option(help="Why retraining ran (for the tag's message)")] = "",
    params: ParamsOption = DEFAULT_PARAMS,
) -> None:
    """Tag this commit (on the default branch) as the next release candidate and push the tag."""
    with project(params) as (config, layout), release_state(config, layout) as (commit, state):
        tag = tag_candidate(layout.root, commit, state, reason[:200] or "by hand")
    typer.echo(tag)
    github.set_outputs(tag=tag)
    publish(
        f"Release candidate **{tag}** tagged on `{commit[:12]}` (retrained: {reason or 'by hand'})."
    )


@app.command("propose")
def propose(tag: TagOption, params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Open an issue asking to promote TAG, now in staging, with its model card (or keep it
    locally without a GitHub token)."""
    with project(params) as (config, layout):
        record = ReleaseRecord.from_dict(
            read_json(layout.reports / "release.json", "release staging")
        )
        if record.version != tag or record.environment != "staging":
            raise ReleaseError(
                f"reports/release.json is the {record.environment} release {record.version}, "
                f"not {tag} in staging: run `release staging --tag {tag}` first"
            )
        card = model_card.markdown(record, tracking_uri(config, layout.root))
        title, body = proposal(record, card)
        keep = Path(os.environ.get("LOCAL_RELEASES", layout.reports / "releases"))
        said = open_issue(title, body, keep / f"{tag}-proposal.md")
    publish(said)
