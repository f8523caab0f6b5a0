"""`make bench-ci`: how long a developer waits, in a freshly baked project with the defaults.

Prints the wall time of `make install`, `make test-fast`, `make test` and `make ci-local` (the
CI workflow under act, every job), each run once after the one before, in a Markdown table for
the README. A benchmark, not a test: the figures depend on the machine and its load.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ci.bake import DEFAULTS, bake, find_python, make

TARGETS = ("install", "test-fast", "test", "ci-local")


def main() -> None:
    python = find_python(DEFAULTS[0])
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ci-") as scratch:
        project = bake(Path(scratch), project_name="Bench CI")
        for target in TARGETS:
            started = time.monotonic()
            done = make(project, target, python=python, timeout=3600)
            seconds = time.monotonic() - started
            verdict = "passed" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
            rows.append((target, seconds, verdict))
            print(f"make {target}: {seconds:.0f} s, {verdict}", flush=True)
            if done.returncode != 0:
                print(done.stdout[-4000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
    print("\n| command | wall time | result |\n|---|---:|---|")
    for target, seconds, verdict in rows:
        print(f"| `make {target}` | {seconds:.0f} s | {verdict} |")
    cpus = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"\n({cpus or '?'} CPUs; a failed step's figure is not a timing of the work)")
    sys.exit(0 if all(verdict == "passed" for _, _, verdict in rows) else 1)


if __name__ == "__main__":
    main()
