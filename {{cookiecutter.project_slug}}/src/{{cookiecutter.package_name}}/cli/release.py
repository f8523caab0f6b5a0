"""`<project> release ...`: the commands the release and rollback workflows call."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ..config import Params
from ..layout import Layout, write_json
from ..release import github, model_card
from ..release.artifacts import default_store
from ..release.gitops import (
    behind_note,
    commit_state,
    current_commit,
    require_on_branch,
    state_worktree,
)
from ..release.images import container_engine, engine_setting
from ..release.promote import promote_to_production, release_notes, release_to_staging, rollback
from ..release.records import DeployState, ReleaseRecord
from ..release.rules import answered_where_deployed, require_unused, staged_build
from ..release.summary import publish, record_table
from ..release.verify import verify_deployed
from ..release.versions import ENVIRONMENTS, Environment, ReleaseError, parse_tag, require_newer
from ..tracking import require_reachable, set_alias, tracking_uri
from .context import DEFAULT_PARAMS, ParamsOption, project, sample_rows

app = typer.Typer(no_args_is_help=True, help="Promote builds through Git tags.")


def _release_tag(value: str) -> str:
    """Refuse anything but a release tag while the command line is read, before any work."""
    try:
        return parse_tag(value).tag
    except ReleaseError as error:
        raise typer.BadParameter(str(error)) from None


def _environment(value: str) -> str:
    """Refuse anything but an environment's name while the command line is read."""
    if value not in ENVIRONMENTS:
        raise typer.BadParameter(f"--env must be one of {', '.join(ENVIRONMENTS)}, not {value!r}")
    return value


EnvOption = Annotated[
    str, typer.Option("--env", help="staging or production", callback=_environment)
]
TagOption = Annotated[
    str,
    typer.Option(
        "--tag", help="The pushed tag: v1.2.0-rc.1 (staging) or v1.2.0", callback=_release_tag
    ),
]
StagingTag = Annotated[
    str,
    typer.Option(
        "--tag", help="The pushed candidate tag (e.g. v1.2.0-rc.1)", callback=_release_tag
    ),
]
ProductionTag = Annotated[
    str, typer.Option("--tag", help="The pushed release tag (e.g. v1.2.0)", callback=_release_tag)
]


@contextmanager
def release_state(config: Params, layout: Layout) -> Iterator[tuple[str, DeployState]]:
    """The commit being released, refused unless it is on the default branch, and the deploy
    state of that branch."""
    commit = current_commit(layout.root)
    with state_worktree(layout.root, config.release.branch) as worktree:
        require_on_branch(layout.root, commit, config.release.branch)
        yield commit, DeployState(worktree / "deploy")


def _apply(layout: Layout, branch: str, record: ReleaseRecord) -> str:
    """Commit the record to the default branch and return the pushed commit."""
    message = f"deploy({record.environment}): {record.action} {record.version}"

    def change(worktree: Path) -> list[str]:
        DeployState(worktree / "deploy").apply(record)
        return ["deploy"]

    return commit_state(layout.root, branch, message, change)


def finish(params: Params, layout: Layout, record: ReleaseRecord, notes: list[str]) -> None:
    """Commit the state, then move the alias (only once Git holds the new state), check the
    release where it runs and commit that too, then report; a failed check fails the command
    once everything is recorded."""
    pushed = _apply(layout, params.release.branch, record)
    notes = [*notes, f"deploy state committed to {params.release.branch} as {pushed[:12]}"]
    notes += filter(None, [behind_note(layout.root, params.release.branch)])
    notes.append(set_alias(params, layout.root, record.environment, record.model_version))
    try:
        record = verify_deployed(params, layout, record.environment, record)
        notes.append(checked_note(record))
    finally:  # the release has happened: its record and card are written whatever followed
        report(params, layout, record, notes)
    if not answered_where_deployed(record, params.release.url(record.environment)):
        raise ReleaseError(checked_note(record))


def checked_note(record: ReleaseRecord) -> str:
    """What the check where the release runs found, in one line."""
    check = record.deployed_check
    if check.get("passed") is None:
        return f"not checked where deployed: {check.get('answer')}"
    verdict = "answered" if check["passed"] else "did NOT answer"
    return (
        f"{record.version} {verdict} where {record.environment} runs it "
        f"({check.get('target')}): {check.get('answer')}"
    )


def report(params: Params, layout: Layout, record: ReleaseRecord, notes: list[str]) -> None:
    """The release's record, notes and model card in reports/, and the job summary."""
    write_json(layout.reports / "release.json", record.to_dict())
    (layout.reports / "release-notes.md").write_text(release_notes(record), encoding="utf-8")
    try:  # the release has happened: a card that cannot be written is a note, not a failure
        card = model_card.write(layout, record, tracking_uri(params, layout.root), notes)
        notes = [*notes, f"model card: {card.relative_to(layout.root)}"]
    except Exception as exc:
        reason = model_card.without_credentials(f"{type(exc).__name__}: {exc}")[:300]
        notes = [*notes, f"model card not written: {reason}"]
    publish(record_table(record, notes))


@app.command("check-tag")
def check_tag(tag: TagOption, params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Print the environment a tag targets (and set it, and the image registry, as step outputs).

    Refused before any job spends time on it (reading the state on the default branch): a
    tag that is no release tag, a commit not on the default branch, a version not above what
    production runs, an rc number used before, and a production tag for anything but the
    build staging holds now.
    """
    with project(params) as (config, layout):
        release = parse_tag(tag)
        with release_state(config, layout) as (commit, state):
            production = state.current("production")
            require_newer(release, production.version if production else None)
            if release.environment == "staging":
                require_unused(release, state)
            else:
                staged_build(state, tag, commit, staging_url=config.release.staging_url)
        environment = release.environment
        registry = config.release.registry()
        engine_setting()  # a typo in CONTAINER_ENGINE is refused before the pipeline runs
    typer.echo(environment)
    github.set_outputs(environment=environment, registry=registry)


@app.command()
def registry(params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Print the image registry's host (and set it as a step output, for the registry login)."""
    with project(params) as (config, _):
        host = config.release.registry()
    typer.echo(host)
    github.set_outputs(registry=host)


@app.command()
def staging(tag: StagingTag, params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Publish the bento the pipeline just built, smoke-test it, make it staging's release."""
    with project(params) as (config, layout):
        require_reachable(config, layout.root, f"releasing {tag}")
        rows = sample_rows(layout, 3)
        with release_state(config, layout) as (commit, state):
            record, notes = release_to_staging(
                tag,
                config,
                layout,
                state,
                default_store(),
                commit,
                config.release.resolved_image(),
                rows,
                container_engine(),
            )
        finish(config, layout, record, notes)


@app.command()
def production(tag: ProductionTag, params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Promote the build staging holds now, if this commit and version are its; refuse anything
    else."""
    with project(params) as (config, layout):
        require_reachable(config, layout.root, f"releasing {tag}")
        with release_state(config, layout) as (commit, state):
            record, notes = promote_to_production(
                tag, state, default_store(), commit, staging_url=config.release.staging_url
            )
        finish(config, layout, record, notes)


@app.command("rollback")
def rollback_command(
    environment: EnvOption,
    to: Annotated[
        str,
        typer.Option("--to", help="An earlier release of that environment", callback=_release_tag),
    ],
    params: ParamsOption = DEFAULT_PARAMS,
) -> None:
    """Put an environment back on an earlier release: state, alias and an audit entry."""
    with project(params) as (config, layout):
        env: Environment = environment  # type: ignore[assignment]
        require_reachable(config, layout.root, f"rolling {env} back")
        with state_worktree(layout.root, config.release.branch) as worktree:
            record, notes = rollback(env, to, DeployState(worktree / "deploy"), default_store())
        finish(config, layout, record, notes)


@app.command("notes")
def notes_command(tag: TagOption, params: ParamsOption = DEFAULT_PARAMS) -> None:
    """Publish reports/release-notes.md as TAG's GitHub release (with `gh`), or keep it locally."""
    with project(params) as (_, layout):
        notes = layout.reports / "release-notes.md"
        if not notes.is_file():
            raise ReleaseError(f"{notes} is missing: run `release production` first")
        if shutil.which("gh") and github.has_token():
            done = subprocess.run(
                ["gh", "release", "create", tag, "--title", tag, "--notes-file", str(notes)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise ReleaseError(f"gh release create {tag} failed: {done.stderr.strip()}")
            publish(f"GitHub release {tag} published.")
            return
        local = Path(os.environ.get("LOCAL_RELEASES", layout.reports / "releases"))
        local.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notes, local / f"{tag}.md")
        publish(
            f"No `gh` or GH_TOKEN here: release notes for {tag} kept at {local / (tag + '.md')}"
        )
