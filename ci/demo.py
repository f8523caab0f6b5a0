"""`make demo`: bake a project with the default answers, run its pipeline, serve it, ask it.

Ends by printing where the reports, the MLflow store and the bento are, and the served
model's answer to a sample request.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from ci.bake import DEFAULTS, TEMPLATE_ROOT, bake, find_python, make

BUILD = TEMPLATE_ROOT / "build" / "demo"


def step(title: str, project: Path, *targets: str) -> str:
    print(f"==> {title}: make {' '.join(targets)}", flush=True)
    started = time.monotonic()
    done = make(project, *targets, python=find_python(DEFAULTS[0]))
    if done.returncode != 0:
        print(done.stdout[-6000:], done.stderr[-6000:], sep="\n", file=sys.stderr)
        sys.exit(f"demo: `make {' '.join(targets)}` failed in {project}")
    print(f"    done in {time.monotonic() - started:.0f}s", flush=True)
    return done.stdout


def main() -> None:
    started = time.monotonic()
    shutil.rmtree(BUILD, ignore_errors=True)
    project = bake(BUILD)
    print(f"==> baked {project} with the default answers")
    step("install the pinned stack", project, "install")
    pipeline = step("run the pipeline (extract ... package)", project, "pipeline")
    print("\n".join("    " + line for line in pipeline.splitlines() if line.startswith("[")))
    step("serve the bento and send it 3 test rows", project, "smoke")
    smoke = json.loads((project / "reports" / "smoke.json").read_text())
    answer = [(p["prediction"], p.get("probabilities")) for p in smoke["response"]["predictions"]]

    package = json.loads((project / "reports" / "package.json").read_text())
    registration = json.loads((project / "reports" / "registration.json").read_text())
    gates = json.loads((project / "reports" / "gates.json").read_text())
    passed = sum(check["status"] == "passed" for check in gates["checks"])
    print(
        f"""
Demo finished in {time.monotonic() - started:.0f}s.
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
