"""Tags and dispatch inputs that a shell or make would run, pushed through the real workflows
(act, bare origin) and typed at the Makefile: each is refused as no release, and nothing runs;
and valid tags on commits outside main, refused before any work.

A group of its own, on a project of its own: every value is refused before any release state
is read, so it needs no earlier release and runs beside the long scenarios.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ci.bake import make
from ci.gitops_repo import Repo, baked_with_origin, explain, output

pytestmark = [pytest.mark.act, pytest.mark.xdist_group("hostile")]
# A broken quote, a command substitution (two spellings), make's own $(shell), and a digit of
# another script. Git takes each as a tag name; `{marker}` becomes a file that must not appear.
HOSTILE = {
    "quote": 'v1";touch${IFS}{marker};"',
    "subst": "v1$(touch${IFS}{marker})",
    "backticks": "v1`touch${IFS}{marker}`",
    "make": "v1$(shell${IFS}touch${IFS}{marker})",
    "digit": "v1.2.1\u0663",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    project = baked_with_origin(tmp_path_factory.mktemp("hostile"), "Hostile Probe")
    project.env["CONTAINER_ENGINE"] = "none"
    yield project


def _marker(repo: Repo) -> Path:
    marker = repo.root.parent / "pwned"
    marker.unlink(missing_ok=True)
    return marker


@pytest.mark.parametrize("name", ["quote", "make", "digit"])
def test_hostile_tags_run_nothing_in_the_release_workflow(repo: Repo, name: str) -> None:
    marker = _marker(repo)
    tag, head = HOSTILE[name].replace("{marker}", str(marker)), repo.main_head()
    done = repo.tag(tag)
    assert done.returncode != 0
    assert "is not a release tag" in output(done), explain(done)
    assert "[release/staging" not in output(done) and "[release/production" not in output(done)
    assert not marker.exists(), f"the tag {tag!r} ran a command"
    assert repo.main_head() == head


def test_hostile_rollback_inputs_run_nothing_in_the_rollback_workflow(repo: Repo) -> None:
    """The workflow's free-text version input, and an environment input beyond its choices."""
    marker = _marker(repo)
    value = HOSTILE["quote"].replace("{marker}", str(marker)).replace("${IFS}", " ")
    head = repo.main_head()
    done = repo.act("dispatch", "rollback", "environment=production", f"version={value}")
    assert done.returncode != 0 and "is not a release tag" in output(done), explain(done)
    done = repo.act("dispatch", "rollback", f"environment=production{value}", "version=v0.1.0")
    assert done.returncode != 0 and "--env must be one of" in output(done), explain(done)
    assert not marker.exists(), f"{value!r} ran a command"
    assert repo.main_head() == head


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_make_arguments_run_nothing(repo: Repo, name: str) -> None:
    """As a developer (or a script passing `git describe`) would type them."""
    marker = _marker(repo)
    value = HOSTILE[name].replace("{marker}", str(marker))
    for spaced in (value, value.replace("${IFS}", " ")):
        for target, variable in (("release-check", "TAG"), ("rollback", "TO")):
            done = make(repo.root, target, f"{variable}={spaced}", "ENV=production")
            assert done.returncode != 0 and "is not a release tag" in output(done), output(done)
        assert not marker.exists(), f"{spaced!r} ran a command"


@pytest.mark.parametrize(
    ("where", "tag"),
    [("feature-branch", "v9.0.0-rc.1"), ("never-pushed", "v9.0.0")],
)
def test_tags_on_commits_outside_main_are_refused_before_any_work(
    repo: Repo, where: str, tag: str
) -> None:
    """A valid tag on a pushed feature branch, or on a commit that never reached origin."""
    head = repo.main_head()
    repo.git("checkout", "--quiet", "-b", where)
    try:
        repo.git("commit", "--quiet", "--no-verify", "--allow-empty", "-m", f"work on {where}")
        if where == "feature-branch":
            repo.git("push", "--quiet", "origin", where)
        done = repo.tag(tag)
    finally:
        repo.git("checkout", "--quiet", "main")
    commit = repo.git("rev-parse", f"{where}")
    assert done.returncode != 0
    assert f"commit {commit[:12]} is not on origin/main" in output(done), explain(done)
    assert "[release/staging" not in output(done) and "[release/production" not in output(done)
    assert repo.main_head() == head
