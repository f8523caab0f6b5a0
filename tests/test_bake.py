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

from ci.bake import DEFAULTS, PYTHON_VERSIONS, TASKS, TEMPLATE_ROOT, bake, find_python, make

RUFF = str(Path(sys.executable).with_name("ruff"))


def whole_suite_combinations() -> set[tuple[str, str]]:
    """The combinations whose whole suite runs: between them, every Python and every task.

    A diagonal through the answers, starting at the defaults: the end-to-end and slow tiers
    exercise the interpreter and the task's code paths, each of which one run covers.
    """
    pythons = [DEFAULTS[0], *(p for p in PYTHON_VERSIONS if p != DEFAULTS[0])]
    tasks = [DEFAULTS[1], *(t for t in TASKS if t != DEFAULTS[1])]
    size = max(len(pythons), len(tasks))
    return {(pythons[i % len(pythons)], tasks[i % len(tasks)]) for i in range(size)}


def targets(python_version: str, task: str) -> tuple[str, ...]:
    """The project's own make targets a combination runs: every one is linted and runs its unit
    tier; the others run on the diagonal, and no suite runs twice for the same code.

    The default answers' whole suite runs in test_own_data.py, in the CI workflow's jobs on a
    clean clone after two releases; here they run the stack tier (PostgreSQL, an object store
    and `mlflow server`, started by the tier itself). The other combinations of
    whole_suite_combinations() run `make test` here.
    """
    if (python_version, task) == DEFAULTS:
        return ("lint", "test-fast", "test-stack")
    if (python_version, task) in whole_suite_combinations():
        return ("lint", "test")
    return ("lint", "test-fast")


# Run by the default answers' whole suite only: the soak drives the serving stack (HTTP, adaptive
# batching, the log writer) for 80 s at full load, and that stack is the same code whatever the
# task; each task's answers and scorers are covered by the e2e tier beside it.
TASK_FREE = ("tests/e2e/test_service_load.py::test_sustained_load_has_no_errors_and_flat_memory",)


def pytest_addopts(python_version: str, task: str) -> dict[str, str]:
    """What a whole suite off the defaults leaves out (TASK_FREE), through PYTEST_ADDOPTS."""
    if (python_version, task) == DEFAULTS or targets(python_version, task)[-1] != "test":
        return {}
    return {"PYTEST_ADDOPTS": " ".join(f"--deselect {test}" for test in TASK_FREE)}


LONG_TARGETS = {"test", "test-stack"}
COMBOS = [
    pytest.param(
        (python, task),
        id=f"py{python.replace('.', '')}-{task}",
        marks=[
            pytest.mark.xdist_group(f"py{python}-{task}"),
            *([pytest.mark.long] if targets(python, task)[-1] in LONG_TARGETS else []),
        ],
    )
    for python in PYTHON_VERSIONS
    for task in TASKS
]

SKELETON = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"


def skeleton_files(package: str) -> set[str]:
    """What a bake must produce: every file of the template's project folder, named as baked.

    Derived from the skeleton itself, so adding a file needs no list kept by hand, while a file
    the bake loses (or one it adds that the skeleton lacks) still fails the comparison.
    """
    return {
        path.relative_to(SKELETON).as_posix().replace("{{cookiecutter.package_name}}", package)
        for path in SKELETON.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
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
    assert tracked_files(project) == skeleton_files(package)
    assert len(skeleton_files(package)) > 100  # the skeleton was found


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
def test_generated_project_lint_and_tests_pass(baked) -> None:
    """The project's own lint and test targets, tiered per combination (see targets())."""
    project, python_version, task = baked
    python = find_python(python_version)
    if python is None:
        message = f"no Python {python_version} interpreter on this machine"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must test every combination")
        pytest.skip(message)
    done = make(
        project,
        *targets(python_version, task),
        python=python,
        extra_env=pytest_addopts(python_version, task),
        timeout=3600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-8000:]
    passed = sum(int(count) for count in re.findall(r"(\d+) passed", output))
    assert passed >= 40, output[-3000:]
    assert not re.search(r"\d+ (failed|errors?)\b", output), output[-3000:]
    if "test-stack" in targets(python_version, task):  # the tier ran, whole: none skipped
        tier = output[output.rindex("-m stack tests/stack") :]
        assert re.search(r"\b([5-9]|\d\d+) passed", tier), tier[-3000:]
        assert not re.search(r"\d+ (skipped|deselected)", tier), tier[-3000:]
    for test in TASK_FREE if pytest_addopts(python_version, task) else ():
        path, name = test.split("::")  # a renamed test would be deselected by no one, unseen
        assert f"def {name}(" in (project / path).read_text(encoding="utf-8"), test
    version = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.version[:4])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == python_version


@pytest.mark.bake
def test_ruff_clean(baked) -> None:
    """Quick, and last of each combination's tests on purpose (tests/conftest.py)."""
    project, _, _ = baked
    for command in ([RUFF, "check", "."], [RUFF, "format", "--check", "."]):
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


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
