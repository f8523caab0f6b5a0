"""After a deploy commit: check the release where it runs (deployed.py) and keep the answer in
Git beside the release, passed or not, so that production can rely on it
(rules.answered_where_deployed). The rows sent are the build's own test rows, never what data/
holds now."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from ..config import Params
from ..layout import Layout, read_json
from ..serving.sample import sample_records
from ..tracking import input_example
from . import github
from .deployed import check_where_deployed
from .gitops import commit_state, state_worktree
from .records import DeployState, ReleaseRecord
from .versions import Environment, ReleaseError

SMOKE_ROWS = 3


def smoke_rows(params: Params, layout: Layout, record: ReleaseRecord) -> list[dict[str, Any]]:
    """The rows the build was checked on: from the bento where this job built it (staging),
    else the registered model version's input example (production, rollback)."""
    built_here = layout.package_record.is_file() and (
        read_json(layout.package_record, "package").get("bento") == record.bento
    )
    if built_here:
        return sample_records(record.bento, SMOKE_ROWS)
    return input_example(params, layout.root, record.model_version)[:SMOKE_ROWS]


def verify_deployed(
    params: Params, layout: Layout, environment: Environment, record: ReleaseRecord | None = None
) -> ReleaseRecord:
    """Check what `environment` runs (`record`, just deployed, or else the release the branch
    records for it) where it runs, and commit what it found, passed or not; the record with
    its check (rules.answered_where_deployed says whether it holds)."""
    branch = params.release.branch
    with state_worktree(layout.root, branch) as worktree:
        record = record or DeployState(worktree / "deploy").current(environment)
        if record is None:
            raise ReleaseError(f"{environment} runs no release yet: nothing to check")
        rows = partial(smoke_rows, params, layout, record)
        url, wait = params.release.url(record.environment), params.release.deploy_wait_seconds
        check = check_where_deployed(record, worktree / "deploy", rows, url, wait)
    checked = replace(record, deployed_check=check)
    context = github.run_context(layout.root)

    def change(worktree: Path) -> list[str]:
        DeployState(worktree / "deploy").record_check(checked, context)
        return ["deploy"]

    verdict = {True: "passed", False: "failed", None: "nothing to run"}[check["passed"]]
    message = f"deploy({record.environment}): {record.version} checked where deployed, {verdict}"
    commit_state(layout.root, branch, message, change)
    return checked
