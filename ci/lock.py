"""`make lock`: re-pin the generated project's lock files by baking a project and running its
own `make lock`, so the template ships exactly what `make lock` in a project would write; then
install that project and record the import names of its stack in cookiecutter.json
(`_locked_import_names`), which the pre-generation hook refuses as package names."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ci.bake import DEFAULTS, TEMPLATE_ROOT, bake, find_python, make

PROJECT_DIR = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"
LOCKS = ("requirements.lock", "requirements-dev.lock", "ci/tracking-stack.lock")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        project = bake(Path(scratch), project_name="Lock Probe")
        done = make(project, "lock", python=find_python(DEFAULTS[0]))
        if done.returncode != 0:
            sys.exit(done.stdout + done.stderr)
        for name in LOCKS:
            shutil.copyfile(project / name, PROJECT_DIR / name)
            print(f"updated {PROJECT_DIR.name}/{name}")
        installed = make(project, "install", python=find_python(DEFAULTS[0]))
        if installed.returncode != 0:
            sys.exit(installed.stdout + installed.stderr)
        names = import_names(project / ".venv" / "bin" / "python", project.name.replace("-", "_"))
        write_locked_names(names)
        print(f"updated cookiecutter.json: {len(names)} locked import names")


def import_names(python: Path, own: str) -> list[str]:
    """The top-level modules the installed stack provides (what a package name would shadow)."""
    listing = "import importlib.metadata as m; print(' '.join(m.packages_distributions()))"
    done = subprocess.run([str(python), "-c", listing], capture_output=True, text=True, check=True)
    return sorted(
        name
        for name in set(done.stdout.split())
        if name.isidentifier() and name.islower() and not name.startswith("_") and name != own
    )


def write_locked_names(names: list[str]) -> None:
    path = TEMPLATE_ROOT / "cookiecutter.json"
    text = path.read_text(encoding="utf-8")
    listed = json.dumps(names)
    path.write_text(
        re.sub(r'"_locked_import_names": \[[^\]]*\]', f'"_locked_import_names": {listed}', text),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
