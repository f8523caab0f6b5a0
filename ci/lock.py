"""`make lock`: re-pin the generated project's lock files by baking a project and running its
own `make lock`, so the template ships exactly what `make lock` in a project would write."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from ci.bake import TEMPLATE_ROOT, bake, find_python, make

PROJECT_DIR = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"
LOCKS = ("requirements.lock", "requirements-dev.lock")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        project = bake(Path(scratch), project_name="Lock Probe")
        done = make(project, "lock", python=find_python("3.11"))
        if done.returncode != 0:
            sys.exit(done.stdout + done.stderr)
        for name in LOCKS:
            shutil.copyfile(project / name, PROJECT_DIR / name)
            print(f"updated {PROJECT_DIR.name}/{name}")


if __name__ == "__main__":
    main()
