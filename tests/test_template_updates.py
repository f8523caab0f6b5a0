"""Template updates with cruft: a project made with `cruft create`, changed by its team, takes a
later template commit with `cruft update`, keeping the team's changes, and its own tests pass;
a change of both on the same line is left as a conflict for the team to resolve."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ci.bake import DEFAULTS, TEMPLATE_ROOT, find_python, make

pytestmark = [pytest.mark.bake, pytest.mark.xdist_group("cruft")]
NOT_TEMPLATE = shutil.ignore_patterns(
    ".git", ".venv", "build", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"
)
SLUG = "churn-model"
PACKAGE = SLUG.replace("-", "_")
SKELETON = "{{cookiecutter.project_slug}}"
CRUFT = str(Path(sys.executable).with_name("cruft"))


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def cruft(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """cruft's own command line, in a process of its own, as a team runs it."""
    return subprocess.run([CRUFT, *args], cwd=cwd, capture_output=True, text=True, check=False)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The template as a git repository of its own (cruft records its commits), and a project
    made from it with `cruft create`, its cruft state committed as a team would."""
    base = tmp_path_factory.mktemp("cruft")
    template = base / "template"
    shutil.copytree(TEMPLATE_ROOT, template, ignore=NOT_TEMPLATE)
    git(template, "init", "--quiet", "--initial-branch=main")
    git(template, "add", "-A")
    git(template, "commit", "--quiet", "-m", "template v1")
    (base / "projects").mkdir()
    created = cruft(
        "create",
        "--no-input",
        str(template),
        "--extra-context",
        '{"project_name": "Churn Model"}',
        cwd=base / "projects",
    )
    assert created.returncode == 0, created.stdout + created.stderr
    project = base / "projects" / SLUG
    git(project, "add", ".cruft.json")
    git(project, "commit", "--quiet", "-m", "Record the template's commit")
    yield template, project


def test_an_update_applies_the_template_change_and_keeps_the_team_s(places) -> None:
    """Then a change of both on one line: left as a conflict for the team to resolve."""
    template, project = places
    # the team's week: a parameter, a test of their own, their README
    edit(project / "params.yaml", "test_size: 0.25", "test_size: 0.3")
    (project / "tests" / "unit" / "test_team.py").write_text(
        "def test_ours() -> None:\n    assert 1 + 1 == 2\n", encoding="utf-8"
    )
    with (project / "README.md").open("a", encoding="utf-8") as readme:
        readme.write("\n## Team notes\n\nOur own words.\n")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Our changes")
    # the template's: a workflow, a module, and a hook (whose text the answers-as-data guard
    # must read anew for the new commit, not keep from the old)
    hook = template / "hooks" / "post_gen_project.py"
    edit(hook, '"""Turn the freshly baked', '"""(v2) Turn the freshly baked')
    workflow = template / SKELETON / ".github" / "workflows" / "ci.yml"
    edit(workflow, "  pull_request:\n", "  pull_request:\n  merge_group:\n")
    errors = template / SKELETON / "src" / "{{cookiecutter.package_name}}" / "errors.py"
    errors.write_text(
        errors.read_text(encoding="utf-8") + "\n\nTEMPLATE_UPDATE_MARK = 1\n", encoding="utf-8"
    )
    git(template, "commit", "--quiet", "-am", "template v2: merge queues, a module change")

    updated = cruft("update", "--skip-apply-ask", cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "  merge_group:\n" in (project / ".github" / "workflows" / "ci.yml").read_text()
    assert "TEMPLATE_UPDATE_MARK = 1" in (project / "src" / PACKAGE / "errors.py").read_text()
    assert "test_size: 0.3" in (project / "params.yaml").read_text(encoding="utf-8")
    assert "Our own words." in (project / "README.md").read_text(encoding="utf-8")
    assert (project / "tests" / "unit" / "test_team.py").is_file()
    assert not list(project.rglob("*.rej"))
    assert cruft("check", cwd=project).returncode == 0  # linked to the template's newest commit
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Template v2")

    done = make(project, "lint", "test-fast", python=find_python(DEFAULTS[0]))
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert re.search(r"\b\d{3,} passed", done.stdout), done.stdout[-3000:]  # the team's test too

    # both change one line: the template's split and the team's
    edit(template / SKELETON / "params.yaml", "test_size: 0.25", "test_size: 0.2")
    git(template, "commit", "--quiet", "-am", "template v3: a smaller test split")
    cruft("update", "--skip-apply-ask", cwd=project)
    status = git(project, "status", "--porcelain")
    assert "UU params.yaml" in status  # git's own conflict state, for the team to resolve
    text = (project / "params.yaml").read_text(encoding="utf-8")
    assert "<<<<<<< ours\n  test_size: 0.3\n=======\n  test_size: 0.2\n>>>>>>> theirs" in text
