"""Validate the cookiecutter answers before any project file is written.

Cookiecutter runs this script after rendering it with Jinja. Every answer
reaches it through one ``tojson`` expression inside a raw string, so no answer
is ever spliced into Python source: quotes, backslashes and newlines in a
project name cannot break out of the string or run code. The file stays
valid, importable Python even unrendered, which lets the tests import
``validate`` directly.

If any answer is invalid the script prints one message per bad field and
exits 1; cookiecutter then raises ``FailedHookException`` and deletes the
project folder it had just created, so nothing half-made is left behind.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import shlex
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

# The only Jinja in this file. tojson escapes '"' as '\"' and "'", "<", ">",
# "&" as \u00XX, so the rendered JSON can never close this raw string early.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

# Long enough for real names, short enough that generated import lines stay within 100 columns.
SLUG_MAX_LENGTH = 48
# cookiecutter.json derives the slug as `slugify(project_name) or EMPTY_SLUG`: an empty slug
# would make the project folder the output folder itself, which cookiecutter refuses with a
# confusing "already exists" before this hook runs. The sentinel lets the hook say why.
EMPTY_SLUG = "_no_ascii_name_"
GITHUB_LOGIN_MAX_LENGTH = 39


def _template_context() -> dict:
    """The answers as cookiecutter rendered them; loaded unrendered (by the template's tests),
    the defaults from cookiecutter.json beside this folder."""
    try:
        return json.loads(ANSWERS_JSON)
    except json.JSONDecodeError:
        return json.loads((Path(__file__).resolve().parents[1] / "cookiecutter.json").read_text())


# Set by local_extensions.py in cookiecutter's (or cruft's) process, which this hook runs under:
# the template folder, absolute (cookiecutter's own `_repo_dir` is as typed, `.` say, and this
# hook runs inside the new project folder).
TEMPLATE_DIR = "TEMPLATE_DIR_FOR_HOOKS"


def template_folder(context: dict) -> Path | None:
    for folder in (os.environ.get(TEMPLATE_DIR), context.get("_repo_dir")):
        if folder and Path(folder).is_absolute() and (Path(folder) / "cookiecutter.json").is_file():
            return Path(folder)
    return None


def _choice_lists(context: dict) -> dict[str, tuple[str, ...]] | None:
    """cookiecutter.json's choice lists, the one list of supported answers (shared with
    ci/bake.py and the tests), or None where the answers can only be items of them.

    A rendered hook's answers hold the chosen value, not the list, so the lists are read from
    the template folder; they must be, since a replay file's answers skip cookiecutter's own
    check of a choice. Where no folder is known, the answers came through cookiecutter's
    prompts and choice check, which offer and accept only the listed values.
    """
    folder = template_folder(context)
    if folder is not None:
        context = json.loads((folder / "cookiecutter.json").read_text("utf-8"))
    elif not isinstance(context.get("task"), list):
        return None
    return {field: tuple(context[field]) for field in ("python_version", "task")}


_CONTEXT = _template_context()
CHOICES = _choice_lists(_CONTEXT)
# Top-level import names of every package in the generated project's lock: a package named like
# one would shadow it. `make lock` (ci/lock.py) writes them into cookiecutter.json from a project
# installed from the lock; tests/test_stack.py checks them against one.
LOCKED_IMPORT_NAMES = frozenset(_CONTEXT["_locked_import_names"])

# Import names a package must not take: installing it would shadow (or be
# shadowed by) the project's own dependencies and tools, or clash with the
# project layout (``src``, ``tests``).
RESERVED_IMPORT_NAMES = frozenset(
    {
        "alembic",
        "bentoml",
        "click",
        "conftest",
        "deepchecks",
        "docker",
        "fastapi",
        "flask",
        "hatchling",
        "jinja2",
        "joblib",
        "matplotlib",
        "mlflow",
        "mypy",
        "numpy",
        "packaging",
        "pandas",
        "pip",
        "pkg_resources",
        "plotly",
        "pyarrow",
        "pydantic",
        "pytest",
        "requests",
        "rich",
        "ruff",
        "scipy",
        "seaborn",
        "setuptools",
        "site",
        "skops",
        "sklearn",
        "sqlalchemy",
        "src",
        "starlette",
        "tests",
        "typer",
        "typing_extensions",
        "uvicorn",
        "wheel",
        "yaml",
    }
)
STDLIB_MODULE_NAMES: frozenset[str] = frozenset(getattr(sys, "stdlib_module_names", ()))

SLUG_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
PACKAGE_RE = re.compile(r"[a-z][a-z0-9_]*")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# RFC 5322 "specials" only legal inside a quoted local part; rejecting them
# keeps the address safe to drop into TOML, YAML and "Name <email>" headers.
EMAIL_SPECIALS = frozenset('"\\<>(),;:[]')
GITHUB_LOGIN_RE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
# Characters RFC 3986 allows in a URI; anything else must be percent-encoded.
URI_CHARS_RE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
# What the generated project can use as it ships: SQLite (embedded default), a tracking server
# over HTTP(S) (whose own backend may be PostgreSQL), or Databricks. MLflow's file store is in
# maintenance mode and database URIs would need drivers the project does not pin: a team's
# PostgreSQL sits behind its `mlflow server`. The README's answers table says the same.
TRACKING_SCHEMES = ("sqlite", "http", "https", "databricks")
TRACKING_URI_FORMS = (
    "use 'sqlite:///<path>' (e.g. 'sqlite:///mlflow.db'), a tracking server "
    "'http(s)://<host>[:<port>]' (its backend store may be PostgreSQL), "
    "or 'databricks[://<profile>]'"
)

Validator = Callable[[object], str | None]


def _suggest_identifier(text: str, separator: str) -> str:
    """Best-effort ASCII suggestion so error messages show a concrete fix."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    words = re.findall(r"[a-z0-9]+", ascii_text.decode().lower())
    suggestion = separator.join(words)
    if suggestion and not suggestion[0].isalpha():
        suggestion = f"project{separator}{suggestion}"
    return suggestion


def _example(suggestion: str, fallback: str) -> str:
    """Quote a suggested value, or a generic one when nothing usable is left."""
    return repr(suggestion or fallback)


def _has_control_chars(text: str) -> bool:
    """Newlines and other control characters break metadata and git headers."""
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def check_project_name(value: object) -> str | None:
    """Any text is fine (the template escapes it) as long as there is some."""
    if not isinstance(value, str) or not value.strip():
        return (
            f"project_name: {value!r} is empty; give a human-readable name in "
            "any language, e.g. 'Tumour Classifier'."
        )
    return None


def check_project_slug(value: object) -> str | None:
    """The slug names the folder, distribution and model, so it must be plain."""
    if not isinstance(value, str):
        return f"project_slug: {value!r} is not a string; use e.g. 'my-project'."
    if value in ("", EMPTY_SLUG):
        return (
            "project_slug: is empty because project_name has no letters or "
            "digits that can be transliterated to ASCII; pass a slug "
            "explicitly, e.g. `cookiecutter <template> project_slug=my-project`."
        )
    if len(value) > SLUG_MAX_LENGTH:
        return (
            f"project_slug: {value!r} is {len(value)} characters long; use at "
            f"most {SLUG_MAX_LENGTH} (pass a shorter project_slug explicitly)."
        )
    if value[0].isdigit():
        return (
            f"project_slug: {value!r} starts with a digit, which cannot become a "
            "Python package name; start it with a lowercase letter, e.g. "
            f"{_example(_suggest_identifier(value, '-'), 'my-project')}."
        )
    if not SLUG_RE.fullmatch(value):
        return (
            f"project_slug: {value!r} is not a valid slug; use lowercase ASCII "
            "letters, digits and single hyphens, starting with a letter and not "
            "ending with a hyphen, e.g. "
            f"{_example(_suggest_identifier(value, '-'), 'my-project')}."
        )
    return None


def check_package_name(value: object) -> str | None:
    """The package is imported by name, so it must not shadow other modules."""
    if not isinstance(value, str):
        return f"package_name: {value!r} is not a string; use e.g. 'my_project'."
    if value == "":
        return (
            "package_name: is empty (it is derived from project_slug); pass a "
            "package_name explicitly, e.g. 'my_project'."
        )
    suggestion = _example(_suggest_identifier(value, "_"), "my_project")
    if not PACKAGE_RE.fullmatch(value) or not value.isidentifier():
        return (
            f"package_name: {value!r} is not a valid Python identifier; use "
            "lowercase ASCII letters, digits and underscores, starting with a "
            f"letter (e.g. {suggestion})."
        )
    if keyword.iskeyword(value):
        return (
            f"package_name: {value!r} is a Python keyword and cannot be "
            f"imported; choose another name (e.g. '{value}_project')."
        )
    if value in STDLIB_MODULE_NAMES:
        return (
            f"package_name: {value!r} is a standard-library module; the package "
            "would shadow it and break imports, so choose another name (e.g. "
            f"'{value}_project')."
        )
    if value in RESERVED_IMPORT_NAMES or value in LOCKED_IMPORT_NAMES:
        return (
            f"package_name: {value!r} is the import name of a dependency or tool "
            "the project uses; the package would shadow that module, so choose "
            f"another name (e.g. '{value}_project')."
        )
    return None


def check_description(value: object) -> str | None:
    """Free text; the template escapes it, so only the type matters."""
    if not isinstance(value, str):
        return f"description: {value!r} is not a string; use any text."
    return None


def check_author_name(value: object) -> str | None:
    """Goes into package metadata and the initial git commit."""
    if not isinstance(value, str) or not value.strip():
        return f"author_name: {value!r} is empty; give your name, e.g. 'Ada Lovelace'."
    if _has_control_chars(value):
        return (
            f"author_name: {value!r} contains a newline or other control "
            "character, which breaks package metadata and git author headers; "
            "use a single line, e.g. 'Ada Lovelace'."
        )
    return None


def check_author_email(value: object) -> str | None:
    """Goes into package metadata and the initial git commit."""
    if (
        not isinstance(value, str)
        or not EMAIL_RE.fullmatch(value)
        or any(char in EMAIL_SPECIALS for char in value)
    ):
        return (
            f"author_email: {value!r} is not a plausible email address; use a "
            "plain address like 'you@example.com'."
        )
    return None


def check_github_owner(value: object) -> str | None:
    """Used in repository URLs and image names, so it must be a real login."""
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= GITHUB_LOGIN_MAX_LENGTH
        or not GITHUB_LOGIN_RE.fullmatch(value)
    ):
        return (
            f"github_owner: {value!r} is not a valid GitHub user or organisation "
            f"name; use 1-{GITHUB_LOGIN_MAX_LENGTH} ASCII letters, digits and "
            "single hyphens, not starting or ending with a hyphen (e.g. 'your-org')."
        )
    return None


def _choice_checker(field: str) -> Validator:
    """Build a validator for a field cookiecutter offers as a fixed choice."""

    def check(value: object) -> str | None:
        if CHOICES is not None and value not in CHOICES[field]:
            accepted = ", ".join(repr(choice) for choice in CHOICES[field])
            return f"{field}: {value!r} is not supported; use one of {accepted}."
        return None

    check.__doc__ = f"{field} selects template branches, so only known values work."
    return check


def _tracking_uri_problem(value: str) -> str | None:
    """Return why an MLflow tracking URI is unusable, or None if it is fine."""
    if value == "databricks":
        return None
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError as error:
        return f"cannot be parsed ({error})"
    scheme = parts.scheme
    if scheme not in TRACKING_SCHEMES:
        shown = repr(scheme) if scheme else "no scheme"
        return f"has {shown}; supported schemes are " + ", ".join(TRACKING_SCHEMES)
    if "@" in parts.netloc:
        # The answer lands in the committed params.yaml and README, and in every report and log
        # line that names the store: credentials belong in the environment, or a CI secret.
        return (
            "carries credentials (user or password before '@'): set MLFLOW_TRACKING_USERNAME "
            "and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) in the environment instead"
        )
    if scheme == "sqlite":
        prefix = f"{scheme}:///"
        if not value.lower().startswith(prefix) or len(value) == len(prefix):
            return "is not of the form 'sqlite:///<path>'"
    elif scheme in ("http", "https") and not parts.hostname:
        return "has no host"
    return None


def _masked(value: str) -> str:
    """The URI as it may be shown: anything before an '@' in its authority replaced."""
    return re.sub(r"(://)[^/@]*@", r"\1***@", value)


def check_mlflow_tracking_uri(value: object) -> str | None:
    """The URI is written into config files and used by every MLflow run."""
    if not isinstance(value, str) or not value:
        return f"mlflow_tracking_uri: {value!r} is empty; {TRACKING_URI_FORMS}."
    shown = _masked(value)
    if any(char.isspace() for char in value):
        return f"mlflow_tracking_uri: {shown!r} contains whitespace; {TRACKING_URI_FORMS}."
    if not URI_CHARS_RE.fullmatch(value):
        return (
            f"mlflow_tracking_uri: {shown!r} contains characters that are not "
            f"allowed in a URI (percent-encode them); {TRACKING_URI_FORMS}."
        )
    problem = _tracking_uri_problem(value)
    if problem:
        return f"mlflow_tracking_uri: {shown!r} {problem}; {TRACKING_URI_FORMS}."
    return None


# A host with a dot or a port, or localhost: a bare word would be read as a Docker Hub user.
REGISTRY_RE = re.compile(
    r"^(?:(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)"
    r"(?::[0-9]{1,5})?|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?:[0-9]{1,5})"
    r"(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$"
)


def check_container_registry(value: object) -> str | None:
    """The registry host (and optional namespace) prefixes the image the manifests deploy."""
    if not isinstance(value, str) or not REGISTRY_RE.fullmatch(value):
        return (
            f"container_registry: {value!r} is not a registry reference; use a lowercase "
            "host with a dot or a port (or localhost), optionally with a path, e.g. 'ghcr.io', "
            "'registry.example.com:5000' or 'quay.io/team' (no scheme, no trailing slash)."
        )
    return None


VALIDATORS: dict[str, Validator] = {
    "project_name": check_project_name,
    "project_slug": check_project_slug,
    "package_name": check_package_name,
    "description": check_description,
    "author_name": check_author_name,
    "author_email": check_author_email,
    "github_owner": check_github_owner,
    "python_version": _choice_checker("python_version"),
    "task": _choice_checker("task"),
    "mlflow_tracking_uri": check_mlflow_tracking_uri,
    "container_registry": check_container_registry,
}


def validate(answers: dict[str, object]) -> list[str]:
    """Return one message per bad answer, each starting with the field name."""
    errors: list[str] = []
    for field, check in VALIDATORS.items():
        if field not in answers:
            errors.append(f"{field}: is missing from the answers.")
            continue
        if field == "package_name" and answers.get("project_slug") == EMPTY_SLUG:
            continue  # derived from the empty slug: the slug's message says what to do
        message = check(answers[field])
        if message:
            errors.append(message)
    return errors


def rerun_hint(answers: dict[str, object]) -> str:
    """How to rerun without typing every answer again: cookiecutter saved them all in its
    replay file (named for the template folder) before this hook ran; cruft keeps none."""
    folder = template_folder(answers)
    if "_commit" in answers or folder is None:
        return "Rerun with the field(s) corrected (`--no-input field=value ...` for each)."
    template = shlex.quote(str(answers.get("_template") or folder))
    replay = shlex.quote(str(Path(_replay_dir()) / f"{folder.name}.json"))
    # this hook runs on cookiecutter's own interpreter: its command is beside it
    beside = Path(sys.executable).with_name("cookiecutter")
    tool = shlex.quote(str(beside)) if beside.is_file() else "cookiecutter"
    return (
        f"Your answers are kept in {replay}: correct the field(s) there and rerun "
        f"`{tool} {template} --replay-file {replay}`, or rerun with "
        "`--no-input field=value ...`."
    )


def _replay_dir() -> str:
    """cookiecutter's replay folder, from the user's config (this hook runs on cookiecutter's
    own interpreter); its default where the config cannot be read."""
    try:
        from cookiecutter.config import get_user_config

        return str(get_user_config()["replay_dir"])
    except Exception:  # any config problem: the default is still the likeliest place
        return str(Path("~/.cookiecutter_replay").expanduser())


def main() -> None:
    """Abort the bake with readable messages if any answer is invalid."""
    try:
        answers = json.loads(ANSWERS_JSON)
    except json.JSONDecodeError:
        print(
            "ERROR: pre_gen_project.py was not rendered by cookiecutter; "
            "run it only through `cookiecutter`.",
            file=sys.stderr,
        )
        sys.exit(1)
    errors = validate(answers)
    if errors:
        print(
            f"ERROR: {len(errors)} invalid answer(s); nothing was generated:",
            file=sys.stderr,
        )
        for message in errors:
            print(f"  - {message}", file=sys.stderr)
        print(rerun_hint(answers), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
