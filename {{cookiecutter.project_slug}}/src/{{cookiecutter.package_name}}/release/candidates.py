"""Retraining's release: the next release candidate tagged and pushed, and a proposal (an
issue with the model card) for the release manager, who only has to tag production.

A tag pushed with the job's own token starts no workflow on GitHub, so the retraining job
releases the candidate to staging itself, with the same commands as release.yml's staging job.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from . import github
from .gitops import git
from .records import DeployState, ReleaseRecord
from .rules import require_unused
from .versions import ReleaseError, next_candidate, parse_tag


def tag_candidate(root: Path, commit: str, state: DeployState, reason: str) -> str:
    """Tag `commit` (on the default branch) with the next release candidate and push the tag."""
    git("fetch", "--quiet", "--tags", "origin", cwd=root)
    tags = git("tag", "--list", "v*", cwd=root).split()
    production = state.current("production")
    released = [record.version for record in state.history()]
    tag = next_candidate(tags + released, production.version if production else None)
    require_unused(parse_tag(tag), state)
    identity = [
        "-c",
        "user.name=release-bot",
        "-c",
        "user.email=release-bot@users.noreply.github.com",
    ]
    git(*identity, "tag", "--annotate", tag, "--message", f"retrained: {reason}", commit, cwd=root)
    git("push", "--quiet", "origin", f"refs/tags/{tag}", cwd=root)
    return tag


def proposal(record: ReleaseRecord, card: str) -> tuple[str, str]:
    """The issue's title and body: what to tag, and the candidate's model card."""
    release = parse_tag(record.version)
    title = f"Release candidate {record.version} is in staging: tag v{release.base} to promote it"
    body = "\n".join(
        [
            f"Retraining released **{record.version}** (commit `{record.commit[:12]}`, model "
            f"version {record.model_version}, data `{record.data_sha256[:12]}`) to staging, "
            "where it passed its smoke test.",
            "",
            f"To promote this very build to production: `git tag v{release.base} "
            f"{record.commit[:12]} && git push origin v{release.base}`. To keep production as "
            "it is, close this issue.",
            "",
            card,
        ]
    )
    return title, body


def open_issue(title: str, body: str, keep: Path) -> str:
    """Open the issue through GitHub's API; outside a run with a token, keep it in `keep`."""
    api = github.api()
    if api is None:
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")
        return f"no GitHub token here: the proposal is kept at {keep}"
    url, repo, token = api
    request = urllib.request.Request(
        f"{url}/repos/{repo}/issues",
        data=json.dumps({"title": title, "body": body[:60_000]}).encode(),
        headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                 "Content-Type": "application/json"},
        method="POST",
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            opened = json.loads(answer.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ReleaseError(
            f"the candidate is in staging, but the proposal issue could not be opened at {url}: "
            f"{exc}"
        ) from exc
    return f"proposal issue opened: {opened.get('html_url') or opened.get('number', '?')}"
