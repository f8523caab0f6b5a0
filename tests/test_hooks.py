"""Tests for the pre- and post-generation hooks.

Unit tests import the hook files unrendered; integration tests bake with
cookiecutter itself. Most bakes use a stub copy of the template (the real
cookiecutter.json and hooks with a one-file project folder), so they test the
hooks alone and stay fast; the ``real`` variants use the actual template.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config
from cookiecutter.utils import create_env_with_context
from slugify import slugify

from local_extensions import AnswerRefused

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
HOOKS_DIR = TEMPLATE_ROOT / "hooks"
PROJECT_DIR_NAME = "{{cookiecutter.project_slug}}"
HAS_GIT = shutil.which("git") is not None
PWNED = "PWNED"
HOSTILE_NAME = '"""; import os; os.system("touch PWNED") #'
HOSTILE_DESCRIPTION = "'''\nimport os; os.system('touch PWNED')\n''' \\"
HOSTILE_AUTHOR = 'Robert"); __import__("os").system("touch PWNED'


def load_hook(name: str, path: Path | None = None) -> ModuleType:
    """Import a hook file as a module without running its main()."""
    path = path or HOOKS_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_hook_{name}_{id(path)}", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")


def answers_for(**overrides: str) -> dict[str, Any]:
    """Answers as cookiecutter computes them with --no-input (slug, package...)."""
    context = generate_context(
        context_file=str(TEMPLATE_ROOT / "cookiecutter.json"), extra_context=overrides
    )
    return dict(prompt_for_config(context, no_input=True))


def with_answer(field: str, value: object) -> dict[str, Any]:
    """Valid default answers with one field replaced verbatim."""
    answers = answers_for()
    answers[field] = value
    return answers


def errors_for(answers: dict[str, Any]) -> list[str]:
    return pre_gen.validate(answers)


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No global git identity, cwd in tmp, and hook temp files kept in tmp.

    Cookiecutter writes each rendered hook to a temp file it never deletes;
    pointing tempfile at tmp_path keeps /tmp clean and lets tests inspect them.
    """
    empty_config = tmp_path / "empty.gitconfig"
    empty_config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty_config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for variable in post_gen.GIT_ENV_OVERRIDES:
        monkeypatch.delenv(variable, raising=False)
    config = tmp_path / "cookiecutterrc"  # replays under tmp_path, not the user's home
    config.write_text(f"replay_dir: {tmp_path / 'replay'}\ncookiecutters_dir: {tmp_path / 'cc'}\n")
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
    hook_tmp = tmp_path / "hook-tmp"
    hook_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(hook_tmp))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return hook_tmp


@pytest.fixture
def stub_template(tmp_path: Path) -> Path:
    """The real cookiecutter.json and hooks with a one-file project folder."""
    root = tmp_path / "stub-template"
    root.mkdir()
    shutil.copy(TEMPLATE_ROOT / "cookiecutter.json", root)
    shutil.copy(TEMPLATE_ROOT / "local_extensions.py", root)
    shutil.copytree(HOOKS_DIR, root / "hooks")
    project = root / PROJECT_DIR_NAME
    project.mkdir()
    (project / "README.md").write_text(
        "{{ cookiecutter.project_name }}\n{{ cookiecutter.description }}\n"
        "{{ cookiecutter.package_name }}\n"
    )
    return root


@pytest.fixture(params=["stub", "real"])
def any_template(request: pytest.FixtureRequest, stub_template: Path) -> Path:
    """Both the stub and the real template (bad answers fail before rendering)."""
    if request.param == "stub":
        return stub_template
    if not (TEMPLATE_ROOT / PROJECT_DIR_NAME).is_dir():
        pytest.skip(f"real template has no {PROJECT_DIR_NAME}/ folder yet")
    return TEMPLATE_ROOT


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    return out


def bake(template: Path, output_dir: Path, **answers: str) -> Path:
    return Path(
        cookiecutter(
            str(template),
            no_input=True,
            extra_context=answers,
            output_dir=str(output_dir),
        )
    )


# --------------------------------------------------------------------------
# validate(): unit tests


def test_unrendered_hooks_import_and_hold_a_single_jinja_expression() -> None:
    for name in ("pre_gen_project", "post_gen_project"):
        source = (HOOKS_DIR / f"{name}.py").read_text()
        assert source.count("{{") == 1, name
        assert "{%" not in source, name
        assert "{#" not in source, name
        assert 'ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""' in source, name


def test_default_answers_are_valid() -> None:
    answers = answers_for()
    assert answers["project_slug"] == slugify(answers["project_name"])
    assert answers["package_name"] == answers["project_slug"].replace("-", "_")
    assert errors_for(answers) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project_name", 'He said "hi" \\ to O\'Brien\nsecond line'),
        ("project_name", "한국어 프로젝트"),
        ("description", 'Quotes " \' """ and \\ and\nnewlines'),
        ("description", ""),
        ("author_name", "Zoë O'Connor-Smith"),
        ("author_email", "o'connor+ml@mail.example.co.uk"),
        ("project_slug", "a"),
        ("project_slug", "model-3d-v2"),
        ("project_slug", "a" * 48),
        ("package_name", "hangugeo_peurojegteu"),
        ("package_name", "model_3d__v2"),
        ("github_owner", "a"),
        ("github_owner", "A-b-C1"),
        ("github_owner", "a" * 39),
        ("python_version", "3.12"),
        ("task", "regression"),
        ("mlflow_tracking_uri", "sqlite:///mlflow.db"),
        ("container_registry", "ghcr.io"),
        ("container_registry", "registry.example.com:5000"),
        ("container_registry", "quay.io/team-a"),
        ("container_registry", "localhost:5000/team"),
        ("mlflow_tracking_uri", "sqlite:////var/lib/mlflow/mlflow.db"),
        ("mlflow_tracking_uri", "http://localhost:5000"),
        ("mlflow_tracking_uri", "https://mlflow.example.com/path"),
        ("mlflow_tracking_uri", "databricks"),
        ("mlflow_tracking_uri", "databricks://my-profile"),
    ],
)
def test_accepts_unusual_but_valid_answers(field: str, value: str) -> None:
    assert errors_for(with_answer(field, value)) == []


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("package_name", "my-pkg", "'my_pkg'"),
        ("package_name", "class", "keyword"),
        ("package_name", "1pkg", "starting with a letter"),
        ("package_name", "_pkg", "starting with a letter"),
        ("package_name", "MyPkg", "lowercase"),
        ("package_name", "json", "standard-library"),
        ("package_name", "logging", "standard-library"),
        ("package_name", "sklearn", "shadow"),
        ("package_name", "tqdm", "shadow"),
        ("package_name", "httpx", "shadow"),
        ("package_name", "mlflow", "shadow"),
        ("package_name", "tests", "shadow"),
        ("package_name", "paquête", "'paquete'"),
        ("package_name", "", "empty"),
        ("project_name", "", "empty"),
        ("project_name", " \t\n", "empty"),
        ("project_slug", "3d-model", "starts with a digit"),
        ("project_slug", "Bad_Slug", "lowercase"),
        ("project_slug", "trailing-", "hyphen"),
        ("project_slug", "double--hyphen", "hyphen"),
        ("project_slug", "a" * 49, "at most 48"),
        ("project_slug", "../escape", "'escape'"),
        ("author_name", "", "empty"),
        ("author_name", "Ada\nLovelace", "newline"),
        ("author_email", "nope", "you@example.com"),
        ("author_email", "a@b", "you@example.com"),
        ("author_email", "a b@c.de", "you@example.com"),
        ("author_email", "@example.com", "you@example.com"),
        ("author_email", 'x"y@example.com', "you@example.com"),
        ("author_email", "you@example.com\n", "you@example.com"),
        ("github_owner", "-org", "hyphen"),
        ("github_owner", "org-", "hyphen"),
        ("github_owner", "my--org", "hyphen"),
        ("github_owner", "a" * 40, "1-39"),
        ("github_owner", "my org", "1-39"),
        ("github_owner", "", "1-39"),
        ("github_owner", "org\n", "1-39"),
        ("python_version", "3.10", "'3.11', '3.12'"),
        ("python_version", "2.7", "'3.11', '3.12'"),
        ("python_version", 3.11, "'3.11', '3.12'"),
        ("task", "clustering", "'classification', 'regression'"),
        ("description", 42, "string"),
        ("mlflow_tracking_uri", "", "sqlite:///"),
        ("container_registry", "", "registry reference"),
        ("container_registry", "https://ghcr.io", "no scheme"),
        ("container_registry", "GHCR.io", "lowercase"),
        ("container_registry", "ghcr.io/", "no trailing slash"),
        ("container_registry", "ghcr io", "registry reference"),
        ("container_registry", "myregistry", "registry reference"),
        ("mlflow_tracking_uri", "mlruns", "no scheme"),
        ("mlflow_tracking_uri", "C:\\mlruns", "not allowed in a URI"),
        ("mlflow_tracking_uri", "ftp://host/mlruns", "'ftp'"),
        ("mlflow_tracking_uri", "sqlite://mlflow.db", "sqlite:///<path>"),
        ("mlflow_tracking_uri", "sqlite:///", "sqlite:///<path>"),
        ("mlflow_tracking_uri", "http://", "no host"),
        ("mlflow_tracking_uri", "https:///path", "no host"),
        ("mlflow_tracking_uri", "http://host:port", "cannot be parsed"),
        ("mlflow_tracking_uri", "postgresql://mlflow@db:5432/mlflow", "tracking server"),
        ("mlflow_tracking_uri", "file:///tmp/mlruns", "'file'"),
        ("mlflow_tracking_uri", "https://alice:S3cretPW@mlflow.example.com", "credentials"),
        ("mlflow_tracking_uri", "http://alice@127.0.0.1:5000", "credentials"),
        ("mlflow_tracking_uri", "https://:S3cretPW@host/path", "credentials"),
        ("mlflow_tracking_uri", "databricks://token:S3cretPW@workspace", "credentials"),
        ("mlflow_tracking_uri", "http://host /x", "whitespace"),
        ("mlflow_tracking_uri", 'http://host/"x', "not allowed in a URI"),
    ],
)
def test_rejects_bad_answer_naming_the_field(field: str, value: object, hint: str) -> None:
    errors = errors_for(with_answer(field, value))
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{field}: ")
    assert hint in errors[0]
    assert "S3cretPW" not in errors[0]  # a refused answer's password is not echoed either


def test_name_without_transliterable_text_gives_empty_slug_error() -> None:
    for name in ("!!!", "🚀🔥"):
        answers = answers_for(project_name=name)
        assert answers["project_slug"] == pre_gen.EMPTY_SLUG
        errors = errors_for(answers)
        assert [e.split(":")[0] for e in errors] == ["project_slug"]
        assert "explicitly" in errors[0]
        assert "project_slug=" in errors[0]


def test_slug_from_name_starting_with_digit_is_rejected_clearly() -> None:
    errors = errors_for(answers_for(project_name="3D Model"))
    assert errors[0].startswith("project_slug: '3d-model' starts with a digit")
    assert "'project-3d-model'" in errors[0]


def test_reports_every_bad_field_and_missing_fields() -> None:
    answers = answers_for()
    answers.update(author_email="nope", task="clustering")
    del answers["github_owner"]
    errors = errors_for(answers)
    assert [e.split(":")[0] for e in errors] == [
        "author_email",
        "github_owner",
        "task",
    ]
    assert "missing" in errors[1]


def test_messages_escape_control_characters() -> None:
    """repr() keeps a hostile value from writing raw escapes to the terminal."""
    (error,) = errors_for(with_answer("package_name", "x\x1b[2Jy"))
    assert "\x1b" not in error
    assert "\\x1b" in error


# --------------------------------------------------------------------------
# Rendering: the answers are data, never code


@pytest.mark.parametrize("hook", ["pre_gen_project", "post_gen_project"])
def test_rendered_hook_round_trips_hostile_answers(tmp_path: Path, hook: str) -> None:
    nasty = [
        HOSTILE_NAME,
        HOSTILE_DESCRIPTION,
        "ends with a backslash \\",
        "triple \"\"\" and ''' quotes",
        "</script><b>&amp;</b>",
        "line\r\nbreaks \u2028 and \x00 nul",
        "{{ 7*7 }} {% raw %} {# comment #}",
        "한국어 🚀",
    ]
    answers = {f"field_{i}": value for i, value in enumerate(nasty)}
    # what the hook reads besides the answers, as cookiecutter passes it
    template = json.loads((HOOKS_DIR.parent / "cookiecutter.json").read_text(encoding="utf-8"))
    answers |= {"_locked_import_names": template["_locked_import_names"],
                "_repo_dir": str(HOOKS_DIR.parent)}  # fmt: skip
    context = {"cookiecutter": answers}
    source = (HOOKS_DIR / f"{hook}.py").read_text()
    rendered = create_env_with_context(context).from_string(source).render(**context)
    path = tmp_path / f"{hook}.py"
    path.write_text(rendered, encoding="utf-8")

    assert json.loads(load_hook(hook, path).ANSWERS_JSON) == answers
    assert not (tmp_path / PWNED).exists()


def test_unrendered_pre_gen_hook_refuses_to_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(HOOKS_DIR / "pre_gen_project.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "not rendered by cookiecutter" in result.stderr


# --------------------------------------------------------------------------
# Bakes with cookiecutter


@pytest.mark.usefixtures("isolated_env")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("package_name", "class"),
        ("package_name", "sklearn"),
        ("project_slug", "3d-model"),
        ("author_email", "not-an-email"),
        ("github_owner", "-org"),
        ("mlflow_tracking_uri", "mlruns"),
    ],
)
def test_bad_answer_aborts_bake_and_leaves_nothing(
    any_template: Path,
    output_dir: Path,
    capfd: pytest.CaptureFixture[str],
    field: str,
    value: str,
) -> None:
    with pytest.raises(FailedHookException):
        bake(any_template, output_dir, **{field: value})
    assert list(output_dir.iterdir()) == []
    err = capfd.readouterr().err
    assert f"- {field}: {value!r}" in err


@pytest.mark.usefixtures("isolated_env")
def test_bad_answer_into_missing_output_dir_removes_what_cookiecutter_made(
    stub_template: Path, tmp_path: Path
) -> None:
    output_dir = tmp_path / "new" / "out"
    with pytest.raises(FailedHookException):
        bake(stub_template, output_dir, github_owner="bad owner")
    # cookiecutter removes the project folder it made, not the parents.
    assert list(output_dir.iterdir()) == []


@pytest.mark.usefixtures("isolated_env")
def test_name_without_ascii_letters_is_rejected_by_the_hook(
    stub_template: Path, output_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A name with nothing to transliterate gets the slug message and leaves nothing behind."""
    sentinel = output_dir / "keep-me.txt"
    sentinel.write_text("user data")
    with pytest.raises(FailedHookException):
        bake(stub_template, output_dir, project_name="!!!")
    assert list(output_dir.iterdir()) == [sentinel]
    assert sentinel.read_text() == "user data"
    err = capfd.readouterr().err
    assert "project_slug: is empty" in err
    assert "package_name" not in err


@pytest.mark.usefixtures("isolated_env")
@pytest.mark.parametrize(("field", "value"), [("python_version", "3.10"), ("task", "Regression")])
def test_an_unsupported_choice_is_refused_naming_the_choices(
    stub_template: Path, output_dir: Path, field: str, value: str
) -> None:
    """A choice list: prompts offer only its items, and cookiecutter refuses another given
    with --no-input before anything is written."""
    with pytest.raises(ValueError, match=f"{value} provided for choice variable {field}, but"):
        bake(stub_template, output_dir, **{field: value})
    assert list(output_dir.iterdir()) == []


@pytest.mark.usefixtures("isolated_env")
@pytest.mark.parametrize(("field", "value"), [("python_version", "3.10"), ("task", "multiclass")])
def test_an_unsupported_choice_in_a_replay_file_meets_the_hook(
    stub_template: Path,
    output_dir: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    field: str,
    value: str,
) -> None:
    """A replay file's answers skip cookiecutter's choice check: the hook checks the lists."""
    bake(stub_template, output_dir / "first")
    replay = next((tmp_path / "replay").glob("*.json"))
    saved = json.loads(replay.read_text(encoding="utf-8"))
    saved["cookiecutter"][field] = value
    replay.write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(FailedHookException):
        cookiecutter(str(stub_template), replay=str(replay), output_dir=str(output_dir / "2"))
    assert not (output_dir / "2").exists() or list((output_dir / "2").iterdir()) == []
    assert f"{field}: {value!r} is not supported" in capfd.readouterr().err


def assert_initial_commit(project: Path, author_name: str, author_email: str) -> None:
    """One commit on main, authored from the answers, nothing left uncommitted."""
    if not HAS_GIT:
        return
    assert (project / ".git").is_dir()
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert git(project, "branch", "--show-current") == "main"
    assert git(project, "log", "-1", "--format=%an|%ae|%s") == (
        f"{author_name}|{author_email}|{post_gen.COMMIT_MESSAGE}"
    )
    assert git(project, "status", "--porcelain") == ""


@pytest.mark.usefixtures("isolated_env")
def test_korean_name_bakes_ascii_slug_and_git_repo(stub_template: Path, output_dir: Path) -> None:
    project = bake(stub_template, output_dir, project_name="한국어 프로젝트")

    assert project == output_dir / "hangugeo-peurojegteu"
    assert [p.name for p in output_dir.iterdir()] == ["hangugeo-peurojegteu"]
    readme = (project / "README.md").read_text(encoding="utf-8").splitlines()
    assert readme[0] == "한국어 프로젝트"
    package = readme[2]
    assert package == "hangugeo_peurojegteu"
    assert package.isascii()
    assert package.isidentifier()
    assert_initial_commit(project, "Your Name", "you@example.com")


@pytest.mark.usefixtures("isolated_env")
def test_real_template_bakes_korean_name(output_dir: Path) -> None:
    """Full bake of the real template (renders every project file).

    Fails only if the project folder itself is broken, which can happen while
    it is still being written.
    """
    if not (TEMPLATE_ROOT / PROJECT_DIR_NAME).is_dir():
        pytest.skip(f"real template has no {PROJECT_DIR_NAME}/ folder yet")
    project = bake(TEMPLATE_ROOT, output_dir, project_name="한국어 프로젝트")

    assert project.name == "hangugeo-peurojegteu"
    assert [p.name for p in output_dir.iterdir()] == ["hangugeo-peurojegteu"]
    assert_initial_commit(project, "Your Name", "you@example.com")


@pytest.mark.usefixtures("isolated_env")
def test_hostile_answers_are_not_executed(
    stub_template: Path, output_dir: Path, tmp_path: Path
) -> None:
    hook_tmp = tempfile.gettempdir()
    project = bake(
        stub_template,
        output_dir,
        project_name=HOSTILE_NAME,
        description=HOSTILE_DESCRIPTION,
        author_name=HOSTILE_AUTHOR,
    )

    assert list(tmp_path.rglob(PWNED)) == []
    assert project.name == "import-os-os-system-touch-pwned"
    readme = (project / "README.md").read_text()
    assert readme.startswith(f"{HOSTILE_NAME}\n{HOSTILE_DESCRIPTION}\n")
    # The hooks cookiecutter actually ran saw the hostile text as plain data.
    # (cookiecutter 2.7 leaves them in the temp dir; fine if a later one doesn't)
    for path in sorted(Path(hook_tmp).glob("*.py")):
        answers = json.loads(load_hook("rendered", path).ANSWERS_JSON)
        assert answers["project_name"] == HOSTILE_NAME
        assert answers["description"] == HOSTILE_DESCRIPTION
    assert_initial_commit(project, HOSTILE_AUTHOR, "you@example.com")


JINJA_ANSWERS = {
    "expression": ("description", "{{ 6*7 }}"),
    "in a name": ("project_name", "Model {{ 7*7 }}"),
    "unclosed": ("description", "a {{ b"),
    "block": ("author_name", "{% if true %}x{% endif %}"),
    "comment": ("description", "{# note #}"),
    "command": ("description", "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}"),
    "in a derived answer": ("package_name", "{{ cookiecutter.project_name }}"),
}


@pytest.mark.usefixtures("isolated_env")
@pytest.mark.parametrize("case", sorted(JINJA_ANSWERS))
def test_jinja_in_an_answer_is_refused_and_runs_nothing(
    any_template: Path, output_dir: Path, tmp_path: Path, case: str
) -> None:
    """Answers are data: cookiecutter would render them as Jinja before any hook ran."""
    field, value = JINJA_ANSWERS[case]
    with pytest.raises(AnswerRefused) as refused:
        bake(any_template, output_dir, **{field: value})
    assert "holds Jinja syntax" in str(refused.value)
    assert "never run as templates" in str(refused.value)
    assert list(output_dir.iterdir()) == []
    assert list(tmp_path.rglob("PWNED")) == []


@pytest.mark.usefixtures("isolated_env")
def test_braces_that_are_not_jinja_stay_as_typed(stub_template: Path, output_dir: Path) -> None:
    project = bake(stub_template, output_dir, description="Sets {a, b} and { x } and }} {")
    assert (project / "README.md").read_text().splitlines()[1] == "Sets {a, b} and { x } and }} {"


@pytest.mark.usefixtures("isolated_env")
def test_a_name_too_long_for_a_folder_gets_one_line(stub_template: Path, output_dir: Path) -> None:
    with pytest.raises(AnswerRefused, match="too long for a folder name"):
        bake(stub_template, output_dir, project_name="Model " * 50)
    assert list(output_dir.iterdir()) == []


def _cli(
    output_dir: Path, *answers: str, template: str = str(TEMPLATE_ROOT)
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", template, "--no-input", "-o", str(output_dir),
         *answers],
        capture_output=True, text=True, check=False, cwd=TEMPLATE_ROOT,
    )  # fmt: skip


@pytest.mark.usefixtures("isolated_env")
def test_the_template_folder_given_as_dot_bakes_and_refuses_alike(
    output_dir: Path, tmp_path: Path
) -> None:
    """`cookiecutter .` from the template folder: the hook runs inside the new project folder,
    yet finds the choice lists and names the replay file by the template folder's name."""
    refused = _cli(output_dir, "author_email=nope", template=".")
    assert refused.returncode == 1 and "author_email: 'nope'" in refused.stderr
    replay = tmp_path / "replay" / f"{TEMPLATE_ROOT.name}.json"
    assert f"--replay-file {replay}" in refused.stderr and replay.is_file()
    done = _cli(output_dir, template=".")
    assert done.returncode == 0, done.stderr
    assert (output_dir / "tumour-classifier" / "params.yaml").is_file()


@pytest.mark.usefixtures("isolated_env")
@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("description={{ 7*7 }}", "holds Jinja syntax"),
        ("author_email=not-an-address", "author_email: 'not-an-address' is not a plausible"),
        ("project_slug=Bad_Slug", "project_slug: 'Bad_Slug'"),
    ],
)
def test_the_cli_prints_the_refusal_without_a_traceback(
    output_dir: Path, tmp_path: Path, answer: str, said: str
) -> None:
    done = _cli(output_dir, answer)
    shown = done.stdout + done.stderr
    assert done.returncode == 1
    assert said in shown
    assert "Traceback" not in shown and "Context" not in shown  # no dump of every answer
    assert len(shown.splitlines()) <= 6, shown
    assert list(output_dir.iterdir()) == []
    if "Jinja" not in said:  # the hook's refusal says where the answers wait for a rerun
        replay = tmp_path / "replay" / f"{TEMPLATE_ROOT.name}.json"
        assert f"--replay-file {replay}" in shown and replay.is_file()


@pytest.mark.usefixtures("isolated_env")
def test_a_bake_prints_the_folder_and_the_next_commands(output_dir: Path) -> None:
    done = _cli(output_dir, "project_name=Churn Model")
    assert done.returncode == 0, done.stderr
    project = output_dir / "churn-model"
    assert f"Created {project} (a git repository with one commit). Next:" in done.stdout
    assert f"cd {project}" in done.stdout and "make pipeline" in done.stdout


# --------------------------------------------------------------------------
# post_gen_project: git setup never breaks the bake


def test_post_gen_without_git_prints_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(post_gen.shutil, "which", lambda _name: None)
    assert post_gen.init_repository(tmp_path, "A", "a@example.com") is False
    assert "git is not on PATH" in capsys.readouterr().out
    assert not (tmp_path / ".git").exists()


@pytest.mark.parametrize("broken_git", ["/bin/false", "/nonexistent/git"])
def test_post_gen_git_failure_only_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], broken_git: str
) -> None:
    (tmp_path / "file.txt").write_text("keep")
    assert post_gen.init_repository(tmp_path, "A", "a@example.com", git=broken_git) is False
    assert "WARNING" in capsys.readouterr().err
    assert (tmp_path / "file.txt").read_text() == "keep"


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
@pytest.mark.usefixtures("isolated_env")
def test_post_gen_leaves_existing_repository_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / "file.txt").write_text("x")
    assert post_gen.init_repository(project, "A", "a@example.com") is False
    assert "already a git repository" in capsys.readouterr().out
    assert git(project, "status", "--porcelain") == "?? file.txt"


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
@pytest.mark.usefixtures("isolated_env")
def test_post_gen_ignores_git_variables_pointing_elsewhere(tmp_path: Path) -> None:
    """GIT_DIR/GIT_INDEX_FILE (set inside git hooks) must not redirect git."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "file.txt").write_text("x")
    elsewhere = tmp_path / "elsewhere"
    environ = {
        **os.environ,
        "GIT_DIR": str(elsewhere / ".git"),
        "GIT_INDEX_FILE": str(elsewhere / "index"),
        "GIT_AUTHOR_NAME": "Someone Else",
    }
    assert post_gen.init_repository(project, "A B", "ab@example.com", environ=environ)
    assert not elsewhere.exists()
    assert_initial_commit(project, "A B", "ab@example.com")
