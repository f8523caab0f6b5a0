"""Answers are data: cookiecutter renders every answer given on the command line, in a replay
or in a user config as a Jinja template before any hook runs, so `description={{ 7*7 }}`
became `49`, an unclosed `{{` gave a traceback, and an answer could run a command. This
extension (cookiecutter.json `_extensions`) refuses, with one line, any text handed to Jinja
that holds Jinja syntax and is not the template's own: its cookiecutter.json values, its hooks,
and paths whose only Jinja is that of its file and folder names. It also refuses a project
folder name too long for the file system (cookiecutter makes that folder before the hooks
could say so), and keeps cookiecutter's traceback off a hook's refusal: the hook has already
said which answers were wrong and how to rerun.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension

ROOT = Path(__file__).resolve().parent
PROJECT_DIR = "{{cookiecutter.project_slug}}"
FRAGMENT = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")
MAX_FOLDER_NAME = 200  # well under the 255 bytes of common file systems; the hook says 48


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def template_texts(root: Path = ROOT) -> frozenset[str]:
    """The template's own Jinja sources passed to `from_string`: defaults and hooks."""
    config = json.loads((root / "cookiecutter.json").read_text(encoding="utf-8"))
    hooks = [path.read_text(encoding="utf-8") for path in sorted((root / "hooks").glob("*.py"))]
    return frozenset([*_strings(config), *hooks])


def path_fragments(root: Path = ROOT) -> frozenset[str]:
    """The Jinja in the template's file and folder names (`{{cookiecutter.package_name}}`):
    cookiecutter renders paths piece by piece, the rendered part already joined on."""
    names = [PROJECT_DIR, *(path.name for path in (root / PROJECT_DIR).rglob("*"))]
    return frozenset(fragment for name in names for fragment in FRAGMENT.findall(name))


class AnswerRefused(FailedHookException):
    """An answer refused before anything is written. Of cookiecutter's own errors, its command
    line prints this kind as one line (a Jinja error, with the whole context after it)."""


def _has_jinja(source: str, environment: Environment) -> bool:
    starts = (environment.variable_start_string, environment.block_start_string,
              environment.comment_start_string)  # fmt: skip
    return any(start in source for start in starts)


def _templates_own(source: str, environment: Environment, own: _Own) -> bool:
    if source in own.texts:
        return True
    rest = source
    for fragment in own.fragments:
        rest = rest.replace(fragment, "")
    return not _has_jinja(rest, environment)


class _Own:
    """The template's own Jinja, read when an environment is made: cookiecutter makes one per
    bake, and `cruft update` bakes the template's old and new commits from one folder in one
    process, so nothing read for the first may stand for the second."""

    def __init__(self, root: Path) -> None:
        self.texts = template_texts(root)
        self.fragments = path_fragments(root)


def current_root() -> Path:
    """The template being baked: the newest folder on sys.path that holds this template (the
    tools add the template folder there to import this module), else this module's own.
    A module imported once may outlive its folder: cruft's create then update, in one process,
    clone the template into two temporary folders."""
    for entry in reversed(sys.path):
        folder = Path(entry or ".").resolve()
        if (folder / "cookiecutter.json").is_file() and (folder / "local_extensions.py").is_file():
            return folder
    return ROOT


class _RefusalWithoutTraceback(logging.Filter):
    """cookiecutter logs a failed hook with the traceback of its own FailedHookException, a
    dozen lines under the hook's message that say nothing more: keep the line, drop the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Stopping generation because"):
            record.exc_info, record.exc_text = None, None
        return True


_REFUSAL_FILTER = _RefusalWithoutTraceback()


class AnswersAsData(Extension):
    """Wraps the environment's `from_string`, through which cookiecutter renders answers."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        logging.getLogger("cookiecutter.hooks").addFilter(_REFUSAL_FILTER)  # once: a set
        original = environment.from_string
        root = current_root()
        own = _Own(root)
        # The hooks run as child processes inside the new project folder: where the template is
        # (hooks/pre_gen_project.py reads its choice lists there)
        os.environ["TEMPLATE_DIR_FOR_HOOKS"] = str(root)

        def from_string(source: Any, *args: Any, **kwargs: Any) -> Any:
            if (
                isinstance(source, str)
                and _has_jinja(source, environment)
                and not _templates_own(source, environment, own)
            ):
                shown = source if len(source) <= 60 else source[:57] + "..."
                raise AnswerRefused(
                    f"the answer {shown!r} holds Jinja syntax ({{{{, {{% or {{#): answers are "
                    "kept as data, never run as templates; rerun without it"
                )
            template = original(source, *args, **kwargs)
            return _ProjectFolder(template) if source == PROJECT_DIR else template

        environment.from_string = from_string  # type: ignore[method-assign]


class _ProjectFolder:
    """The project folder's name, refused when the file system could not hold it."""

    def __init__(self, template: Any) -> None:
        self._template = template

    def render(self, *args: Any, **kwargs: Any) -> str:
        name = self._template.render(*args, **kwargs)
        if len(name.encode()) > MAX_FOLDER_NAME:
            raise AnswerRefused(
                f"project_slug: {len(name)} characters, too long for a folder name; give a "
                "shorter project_name (the slug is at most 48 characters)"
            )
        return name
