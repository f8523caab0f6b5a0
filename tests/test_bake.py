"""Every supported option combination, baked and put through the generated project's own checks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from ci.bake import PYTHON_VERSIONS, TASKS, bake, find_python, make

RUFF = str(Path(sys.executable).with_name("ruff"))
COMBOS = [
    pytest.param(
        (python, task),
        id=f"py{python.replace('.', '')}-{task}",
        marks=pytest.mark.xdist_group(f"py{python}-{task}"),
    )
    for python in PYTHON_VERSIONS
    for task in TASKS
]

# What a bake produces, for every combination (PKG is the package name).
EXPECTED_FILES = {
    ".github/workflows/ci.yml",
    ".github/workflows/release.yml",
    ".github/workflows/rollback.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    "Makefile",
    "README.md",
    "ci/act.py",
    "ci/stand-ins/README.md",
    "ci/stand-ins/docker-login/action.yml",
    "ci/stand-ins/setup-python/action.yml",
    "ci/stand-ins/upload-artifact/action.yml",
    "deploy/argocd/production.yaml",
    "deploy/argocd/staging.yaml",
    "deploy/base/deployment.yaml",
    "deploy/base/kustomization.yaml",
    "deploy/base/service.yaml",
    "deploy/history.jsonl",
    "deploy/overlays/production/kustomization.yaml",
    "deploy/overlays/production/release.json",
    "deploy/overlays/staging/kustomization.yaml",
    "deploy/overlays/staging/release.json",
    "params.yaml",
    "pyproject.toml",
    "requirements-dev.lock",
    "requirements.lock",
    "src/PKG/__init__.py",
    "src/PKG/__main__.py",
    "src/PKG/benchmark.py",
    "src/PKG/bento_names.py",
    "src/PKG/champion.py",
    "src/PKG/compile_model.py",
    "src/PKG/cli.py",
    "src/PKG/config.py",
    "src/PKG/contract.py",
    "src/PKG/errors.py",
    "src/PKG/gates.py",
    "src/PKG/gitinfo.py",
    "src/PKG/html_assets.py",
    "src/PKG/layout.py",
    "src/PKG/pipeline.py",
    "src/PKG/release/__init__.py",
    "src/PKG/release/aliases.py",
    "src/PKG/release/artifacts.py",
    "src/PKG/release/commands.py",
    "src/PKG/release/gitops.py",
    "src/PKG/release/images.py",
    "src/PKG/release/promote.py",
    "src/PKG/release/records.py",
    "src/PKG/release/summary.py",
    "src/PKG/release/versions.py",
    "src/PKG/report.py",
    "src/PKG/schema.py",
    "src/PKG/scorers.py",
    "src/PKG/service.py",
    "src/PKG/smoke.py",
    "src/PKG/stages/__init__.py",
    "src/PKG/stages/analyse.py",
    "src/PKG/stages/evaluate.py",
    "src/PKG/stages/extract.py",
    "src/PKG/stages/package.py",
    "src/PKG/stages/prepare.py",
    "src/PKG/stages/register.py",
    "src/PKG/stages/train.py",
    "src/PKG/stages/validate_data.py",
    "src/PKG/stages/validate_model.py",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/test_analyse_prepare.py",
    "tests/test_benchmark.py",
    "tests/test_compile_model.py",
    "tests/test_config.py",
    "tests/test_data_gate.py",
    "tests/test_extract.py",
    "tests/test_html_assets.py",
    "tests/test_pipeline_e2e.py",
    "tests/test_register_package.py",
    "tests/test_release.py",
    "tests/test_schema.py",
    "tests/test_train_evaluate.py",
    "tests/test_validate_model.py",
    "tests/test_model_card.py",
    "tests/test_reports_render.py",
    "tests/test_service.py",
    "tests/test_prediction_log.py",
    "tests/test_table_input.py",
    "tests/test_service_fuzz.py",
    "tests/test_service_load.py",
    "src/PKG/http_errors.py",
    "src/PKG/locustfile.py",
    "src/PKG/prediction_log.py",
    "src/PKG/serve_benchmark.py",
    "src/PKG/table_input.py",
    "src/PKG/release/model_card.py",
    "src/PKG/templates/model_card.html.j2",
}
# Jinja left unrendered: an expression or tag, or a variable name. Python's `{{` escapes and
# GitHub's `${{ ... }}` expressions (workflows are copied without rendering) are fine.
LEFTOVER = re.compile(r"(?<!\$)\{\{\s*[\w.]+\s*(\|[^}]*)?\}\}|\{%-?\s|\s-?%\}|cookiecutter\.")
# Page templates (*.j2) are Jinja on purpose, copied without rendering: only answers must not leak.
COOKIECUTTER = re.compile(r"cookiecutter\.")


def tracked_files(project: Path) -> set[str]:
    """What git would commit: tracked files and new ones its .gitignore does not exclude."""
    done = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {name for name in done.stdout.splitlines() if (project / name).is_file()}


@pytest.fixture(scope="module", params=COMBOS)
def baked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    python_version, task = request.param
    output = tmp_path_factory.mktemp(f"bake-{python_version}-{task}")
    name = f"Sample {task.title()} Project"
    project = bake(output, project_name=name, python_version=python_version, task=task)
    return project, python_version, task


@pytest.mark.bake
def test_exact_file_set(baked) -> None:
    project, _, _ = baked
    package = project.name.replace("-", "_")
    assert tracked_files(project) == {path.replace("PKG", package) for path in EXPECTED_FILES}


@pytest.mark.bake
def test_no_template_syntax_left(baked) -> None:
    project, _, _ = baked
    leftovers = [
        f"{name}:{number}: {line.strip()}"
        for name in sorted(tracked_files(project))
        for number, line in enumerate((project / name).read_text(encoding="utf-8").splitlines(), 1)
        if (COOKIECUTTER if name.endswith(".j2") else LEFTOVER).search(line)
    ]
    assert leftovers == []


@pytest.mark.bake
def test_answers_land_where_expected(baked) -> None:
    project, python_version, task = baked
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == project.name
    assert pyproject["project"]["requires-python"].startswith(f">={python_version}")
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{python_version.replace('.', '')}"
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    assert params["task"] == task
    assert params["registry"]["model_name"] == project.name
    assert params["mlflow"]["tracking_uri"] == "sqlite:///mlflow.db"


@pytest.mark.bake
def test_ruff_clean(baked) -> None:
    project, _, _ = baked
    for command in ([RUFF, "check", "."], [RUFF, "format", "--check", "."]):
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.bake
def test_generated_project_lint_and_tests_pass(baked) -> None:
    """`make lint test` in the baked project: pre-commit, then its whole suite, e2e included."""
    project, python_version, _ = baked
    python = find_python(python_version)
    if python is None:
        message = f"no Python {python_version} interpreter on this machine"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must test every combination")
        pytest.skip(message)
    done = make(project, "lint", "test", python=python)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-8000:]
    summary = re.search(r"(\d+) passed", output)
    assert summary and int(summary.group(1)) >= 40, output[-3000:]
    assert " failed" not in output.splitlines()[-1]
    version = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.version[:4])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == python_version


@pytest.mark.bake
def test_longest_allowed_name_is_lint_clean(tmp_path: Path) -> None:
    """Import lines grow with the package name: the longest accepted one must still pass ruff."""
    project = bake(tmp_path, project_slug="-".join(["abcdefghijklmno"] * 3) + "x")
    assert len(project.name) == 48
    for command in ([RUFF, "check", "."], [RUFF, "format", "--check", "."]):
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.bake
def test_hostile_answers_survive_into_toml_yaml_and_markdown(tmp_path: Path) -> None:
    """Quotes, backslashes and newlines in answers are data, never syntax."""
    description = 'Say "hi" to C:\\temp\\new\nand \'bye\' """ {0} $HOME `id`'
    author = 'Zoë "Z" O\'Neil \\ Jr.'
    project = bake(
        tmp_path,
        project_name='Quote "Me" O\'Brien \\ Co',
        description=description,
        author_name=author,
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["authors"][0]["name"] == author
    # Package metadata wants one line: whitespace runs become single spaces there.
    assert pyproject["project"]["description"] == " ".join(description.split())
    assert description in (project / "README.md").read_text(encoding="utf-8")
    yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    done = subprocess.run(
        [RUFF, "check", "."], cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout
