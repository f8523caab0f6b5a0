"""`make demo`: bake a project with the default answers, run its pipeline, serve it, ask it.

Each step's output streams as it comes, and its wall time follows it. Ends by printing the
time of every step, where the reports, the MLflow store and the bento are, and the served
model's answer to a sample request.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ci.bake import DEFAULTS, TEMPLATE_ROOT, bake, find_python, project_env

BUILD = TEMPLATE_ROOT / "build" / "demo"
TIMES: dict[str, float] = {}  # step (bake, or the make targets) -> wall seconds, in order


def step(title: str, project: Path, *targets: str) -> None:
    """`make <targets>` in the project, its output streamed (indented) as it is written."""
    command = ["make", "--no-print-directory", *targets]
    print(f"==> {title}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    env = {**project_env(find_python(DEFAULTS[0])), "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            print(f"    {line}", end="", flush=True)
    name = " ".join(targets)
    TIMES[name] = time.monotonic() - started
    if child.returncode != 0:
        sys.exit(f"demo: `{' '.join(command)}` failed in {project} (exit {child.returncode})")
    print(f"    done in {TIMES[name]:.0f}s", flush=True)


def main() -> None:
    started = time.monotonic()
    shutil.rmtree(BUILD, ignore_errors=True)
    project = bake(BUILD)
    TIMES["bake"] = time.monotonic() - started
    print(f"==> baked {project} with the default answers in {TIMES['bake']:.0f}s")
    step("install the pinned stack", project, "install")
    step("run the pipeline (extract ... package)", project, "pipeline")
    step("serve the bento and send it 3 test rows", project, "smoke")
    smoke = json.loads((project / "reports" / "smoke.json").read_text())
    answer = [(p["prediction"], p.get("probabilities")) for p in smoke["response"]["predictions"]]

    package = json.loads((project / "reports" / "package.json").read_text())
    registration = json.loads((project / "reports" / "registration.json").read_text())
    gates = json.loads((project / "reports" / "gates.json").read_text())
    passed = sum(check["status"] == "passed" for check in gates["checks"])
    steps = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in TIMES.items())
    print(
        f"""
Demo finished in {time.monotonic() - started:.0f}s ({steps}).
  project        {project}
  reports        {project / "reports"}  (deepchecks HTML in reports/deepchecks/)
  gates          {passed}/{len(gates["checks"])} checks passed, gate passed={gates["passed"]}
  MLflow store   {registration["tracking_uri"]} in {project}  (run {registration["run_id"]})
  model          {package["model_uri"]} = version {package["model_version"]}
  bento          {package["bento"]} at {package["bento_path"]}
  served answer  POST /predict with {len(smoke["request"]["rows"])} test rows -> model version \
{smoke["response"]["model_version"]}, (prediction, probabilities): {answer}
"""
    )


if __name__ == "__main__":
    main()
