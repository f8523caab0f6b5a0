"""The generated workflows, run for real with `act` against a git repository whose origin is a
local bare repository: CI turning red on a failing test or a failed gate (test_own_data.py runs
the whole CI workflow green), tag-driven promotion to staging and production, refusal of an
unstaged production tag, and rollback (test_hostile_inputs.py sends hostile tags and inputs);
then Level 1: drifted traffic, the scheduled monitor, retraining to a staging candidate, and a
retraining that fails its gates.

The scenarios build on each other, in file order, on one baked project (one xdist group).
MLflow and the artifact store are "configured secrets" pointing at folders outside the
workspace, so state survives from one workflow run to the next as it would on shared services.
The first release goes through a real container toolchain (podman builds and runs the image,
a registry on loopback holds it, skopeo promotes it by digest); the second runs with
CONTAINER_ENGINE=none, where the bento archive's digest names the build. After each deploy
commit the release is checked where it runs: staging at the URL params.yaml names for it
(first nothing answers there, then its overlay, played by podman, does), production and the
rollback under podman kube play of the production overlay.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ci.bake import DEFAULTS
from ci.containers import base_image, container_env, local_registry, missing_tools
from ci.github_api_double import github_api_double
from ci.gitops_repo import Repo, baked_with_origin, explain, output
from ci.servers import free_port

pytestmark = [pytest.mark.act, pytest.mark.long, pytest.mark.xdist_group("gitops")]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    base = tmp_path_factory.mktemp("gitops")
    project = baked_with_origin(base, "Gitops Demo")
    missing = missing_tools()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {', '.join(missing)}: `make test` installs them with apt-get")
        project.env["CONTAINER_ENGINE"] = "none"
        yield project
        return
    (base / "registry").mkdir()
    with local_registry(base / "registry") as registry:
        project.env.update(container_env(registry))
        project.env["CONTAINER_ENGINE"] = "podman"
        project.env["IMAGE_REPOSITORY"] = f"{registry}/your-org/{project.root.name}"
        base_image(DEFAULTS[0], Path(sys.executable).with_name("uv"), project.env)
        yield project


def registry_digest(repo: Repo, reference: str) -> str:
    """What the registry itself serves for a tag or digest, asked with skopeo."""
    done = subprocess.run(
        ["skopeo", "--registries-conf", repo.env["CONTAINERS_REGISTRIES_CONF"], "inspect",
         "--no-tags", f"docker://{reference}"],
        capture_output=True, text=True, check=True, env=repo.env,
    )  # fmt: skip
    return json.loads(done.stdout)["Digest"]


def model_card(repo: Repo, artifact: str) -> tuple[str, list[Path]]:
    """The uploaded model card's text, and the local reports it links to (which must exist)."""
    reports = Path(repo.env["LOCAL_OUTPUTS"]) / "artifacts" / artifact / "reports"
    text = (reports / "model-card.html").read_text(encoding="utf-8")
    links = [reports / href for href in re.findall(r'href="(deepchecks/[^"]+)"', text)]
    assert all(link.is_file() for link in links), links
    return text, links


def needs_images(repo: Repo) -> str:
    """The image repository, or a skip where the container tools are missing (never in CI)."""
    if repo.env["CONTAINER_ENGINE"] == "none":
        pytest.skip(f"container tools missing here: {', '.join(missing_tools())}")
    return repo.env["IMAGE_REPOSITORY"]


def _on_branch(repo: Repo, name: str, change: Callable[[], None]) -> None:
    repo.git("checkout", "--quiet", "-b", name)
    change()
    repo.git("commit", "--quiet", "--no-verify", "-am", f"deliberately broken: {name}")


def _back_to_main(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "main")


def test_a_failing_test_turns_ci_red(repo: Repo) -> None:
    test_file = repo.root / "tests" / "unit" / "test_config.py"

    def change() -> None:
        test_file.write_text(
            test_file.read_text() + "\n\ndef test_broken() -> None:\n    assert 1 == 2\n"
        )

    _on_branch(repo, "broken-test", change)
    try:
        done = repo.act("push", "--job", "unit")
    finally:
        _back_to_main(repo)
    assert done.returncode != 0
    assert "test_broken" in output(done) and "1 failed" in output(done)


def test_a_failed_data_gate_turns_ci_red(repo: Repo) -> None:
    params = repo.root / "params.yaml"

    def change() -> None:
        text = params.read_text().replace(
            "max_feature_label_pps: 0.9", "max_feature_label_pps: 0.3"
        )
        assert text != params.read_text()
        params.write_text(text)

    _on_branch(repo, "broken-gate", change)
    try:
        done = repo.act("push", "--job", "pipeline")
    finally:
        _back_to_main(repo)
    log = output(done)
    assert done.returncode != 0
    assert "pipeline stopped at 'validate_data'" in log
    assert "Feature Label Correlation" in log


def _set_release(repo: Repo, message: str, **values: object) -> None:
    """Change `release:` keys in params.yaml on main, as a team configures its environments."""
    repo.git("pull", "--quiet", "--rebase", "origin", "main")
    params = repo.root / "params.yaml"
    text = params.read_text(encoding="utf-8")
    for key, value in values.items():
        text = re.sub(rf"(?m)^  {key}: .*$", f"  {key}: {json.dumps(value)}", text)
    params.write_text(text, encoding="utf-8")
    repo.git("commit", "--quiet", "--no-verify", "-am", message)
    repo.git("push", "--quiet", "origin", "main")


def test_release_candidate_deploys_to_staging(repo: Repo) -> None:
    """The team names its staging service (release.staging_url); the deploy lands and is
    recorded whole, then the check there fails (nothing serves it yet, as before Argo CD
    syncs): the record keeps that, and the job goes red."""
    url = f"http://127.0.0.1:{free_port()}"
    _set_release(repo, "release: our staging service", staging_url=url, deploy_wait_seconds=5)
    done = repo.tag("v0.1.0-rc.1")
    assert done.returncode != 0
    assert f"v0.1.0-rc.1 did NOT answer where staging runs it ({url})" in output(done)
    record = repo.record("staging")
    deployed = record["deployed_check"]
    assert (deployed["target"], deployed["passed"]) == (url, False)
    assert "did not serve v0.1.0-rc.1" in deployed["answer"] and "within 5s" in deployed["answer"]
    assert record["version"] == "v0.1.0-rc.1"
    assert record["commit"] == repo.git("rev-parse", "HEAD")
    assert record["digest"].startswith("sha256:") and record["gates_passed"] is True
    assert "smoke test of " in output(done) and "3 predictions from model version" in output(done)
    assert repo.alias_version("staging") == record["model_version"]
    store = Path(repo.env["ARTIFACT_STORE"])
    assert (store / f"{record['digest'].replace(':', '-')}.bento").is_file()
    for name in ("v0.1.0-rc.1", record["commit"]):  # tagged with the version and the commit SHA
        assert (store / "tags" / name).read_text().strip() == record["digest"]
    assert record["run_id"] and len(record["data_sha256"]) == 64
    assert {check["status"] for check in record["gates"]["results"]} <= {"passed", "not run"}
    card, reports = model_card(repo, "staging-reports")
    for fact in ("v0.1.0-rc.1", record["commit"], record["run_id"], record["data_sha256"]):
        assert fact in card
    assert "the first model passed on the metric floors alone" in card
    assert len(reports) == 3  # data integrity, train-test validation, model evaluation


def test_release_candidate_image_is_pushed_and_served(repo: Repo) -> None:
    images = needs_images(repo)
    record = repo.record("staging")
    assert record["image"] == images and record["image_digest"].startswith("sha256:")
    for tag in ("v0.1.0-rc.1", record["commit"]):
        assert registry_digest(repo, f"{images}:{tag}") == record["image_digest"]
    (log,) = (repo.root.parent / "act-logs").glob("*-tag-v0.1.0-rc.1.log")
    text = log.read_text(encoding="utf-8")
    # the smoke request went to the image itself, run by podman, not to a local bento
    assert f"smoke test of {images}@{record['image_digest']}" in text
    assert f"no login to {images.split('/')[0]} here" in text  # the login got the right host
    overlay = repo.origin_file("deploy/overlays/staging/kustomization.yaml")
    assert record["image_digest"] in overlay and record["digest"] not in overlay


def test_production_waits_until_staging_answered_where_it_runs(repo: Repo) -> None:
    """v0.1.0 is refused while staging's check stands failed. Then the staging service comes
    up at its URL, here the staging overlay of origin/main under podman kube play (as a
    cluster would run it once synced), and `make release-verify` from the staged commit's
    checkout records a passed check, asking with the registered model's input example."""
    head = repo.main_head()
    done = repo.tag("v0.1.0")
    assert done.returncode != 0
    url = repo.record("staging")["deployed_check"]["target"]
    assert f"v0.1.0-rc.1 has not answered where staging runs it at {url}" in output(done)
    assert "[release/production" not in output(done) and repo.main_head() == head

    assert not (repo.root / "reports" / "package.json").exists()  # no bento built here
    with late_staging_service(repo, int(url.rsplit(":", 1)[1])):
        verified = subprocess.run(
            ["make", "release-verify", "ENV=staging"],
            cwd=repo.root, env=repo.env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    assert verified.returncode == 0, output(verified)
    record = repo.record("staging")
    deployed = record["deployed_check"]
    assert (deployed["target"], deployed["passed"]) == (url, True)
    assert deployed["answer"] == f"3 predictions from model version {record['model_version']}"
    history = [json.loads(line) for line in repo.origin_file("deploy/history.jsonl").splitlines()]
    assert history[-1]["action"] == "verify" and history[-1]["deployed_check"] == deployed
    assert "verify" not in history[-1].get("gates", {})  # a short entry, not a second release
    assert pods(repo) == [], "the played pod is taken down"


@contextmanager
def late_staging_service(repo: Repo, port: int) -> Iterator[None]:
    """The staging release served on loopback `port`: origin/main's staging overlay, rendered
    and made playable by the project's own code, under podman kube play; where the container
    tools are missing (never in CI), the staged bento under `bentoml serve`."""
    scratch = repo.root.parent / "late"
    scratch.mkdir(exist_ok=True)
    if repo.env["CONTAINER_ENGINE"] == "none":
        record = repo.record("staging")
        env = {**repo.env, "BENTOML_HOME": str(scratch / "bentoml"), "PREDICTION_LOG": "off"}
        archive = Path(repo.env["ARTIFACT_STORE"]) / f"{record['digest'].replace(':', '-')}.bento"
        bentoml = str(repo.root / ".venv" / "bin" / "bentoml")
        subprocess.run([bentoml, "import", str(archive)], env=env, check=True, capture_output=True)
        command = [bentoml, "serve", record["bento"], "--host", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(command, env=env, cwd=scratch, start_new_session=True)
        stop = ["kill", "-TERM", f"-{server.pid}"]
    else:
        deploy = subprocess.run(
            ["git", "--git-dir", str(repo.origin), "archive", "main", "deploy"],
            capture_output=True, check=True,
        )  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(scratch)], input=deploy.stdout, check=True)
        package = repo.root.name.replace("-", "_")
        code = (
            f"import sys; from pathlib import Path; from {package}.release.manifests import "
            "playable, render; print(playable(render(Path(sys.argv[1])), 'late', int(sys.argv[2])))"
        )
        manifest = scratch / "staging.yaml"
        overlay = str(scratch / "deploy" / "overlays" / "staging")
        manifest.write_text(_python(repo, code, overlay, str(port)), encoding="utf-8")
        play = ["podman", "kube", "play", "--replace", str(manifest)]
        subprocess.run(play, env=repo.env, check=True, capture_output=True)
        stop = ["podman", "kube", "down", str(manifest)]
    try:
        for _ in range(240):  # until it answers, as the check itself would wait for it
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        yield
    finally:
        subprocess.run(stop, env=repo.env, capture_output=True, check=False)


def pods(repo: Repo) -> list[str]:
    done = subprocess.run(
        ["podman", "pod", "ps", "--quiet"], env=repo.env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_release_promotes_the_same_build_to_production(repo: Repo) -> None:
    staging = repo.record("staging")
    done = repo.act("tag", "v0.1.0")  # the tag was pushed: run its workflow again
    assert done.returncode == 0, explain(done)
    production = repo.record("production")
    assert production["version"] == "v0.1.0"
    if repo.env["CONTAINER_ENGINE"] != "none":  # no production_url: its overlay ran here
        deployed = production["deployed_check"]
        assert deployed["target"] == "podman kube play of deploy/overlays/production"
        assert deployed["passed"] and deployed["answer"] == (
            f"3 predictions from model version {staging['model_version']}"
        )
        assert pods(repo) == []
    # the staging service of this test is gone: later candidates are checked under podman
    _set_release(repo, "release: no staging service here any more", staging_url="")
    assert (production["digest"], production["model_version"], production["commit"]) == (
        staging["digest"],
        staging["model_version"],
        staging["commit"],
    )
    assert production["image_digest"] == staging["image_digest"]
    production_log = [line for line in output(done).splitlines() if "[release/production" in line]
    assert not any("[5/9] train" in line or "[9/9] package" in line for line in production_log)
    assert not any("containerize" in line for line in production_log)
    assert repo.alias_version("production") == staging["model_version"]
    notes = Path(repo.env["LOCAL_OUTPUTS"]) / "releases" / "v0.1.0.md"
    assert "v0.1.0" in notes.read_text(encoding="utf-8")
    card, reports = model_card(repo, "production-reports")  # production reran nothing
    for fact in ("v0.1.0", "to <strong>production</strong>", staging["run_id"]):
        assert fact in card
    assert len(reports) == 3  # fetched from the MLflow run that staging gated


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        ("release-1", "is not a release tag"),
        ("v1.0", "is not a release tag"),
        ("v0.0.9-rc.1", "not above the current production release v0.1.0"),
        ("v0.1.0", "not above the current production release v0.1.0"),
    ],
)
def test_bad_or_stale_tags_are_refused_before_any_work(repo: Repo, tag: str, reason: str) -> None:
    head = repo.main_head()
    # v0.1.0 is already pushed: run the release workflow for it again.
    done = repo.act("tag", tag) if tag == "v0.1.0" else repo.tag(tag)
    assert done.returncode != 0
    assert reason in output(done)
    assert "[release/staging" not in output(done) and "[release/production" not in output(done)
    assert repo.main_head() == head


def test_production_image_is_the_staging_image_by_digest(repo: Repo) -> None:
    images = needs_images(repo)
    production = repo.record("production")
    assert registry_digest(repo, f"{images}:v0.1.0") == production["image_digest"]
    overlay = repo.origin_file("deploy/overlays/production/kustomization.yaml")
    assert f"digest: {production['image_digest']}" in overlay


def test_production_tag_on_an_unstaged_commit_is_refused(repo: Repo) -> None:
    repo.git("pull", "--quiet", "--rebase", "origin", "main")
    (repo.root / "README.md").write_text((repo.root / "README.md").read_text() + "\nMore.\n")
    repo.git("commit", "--quiet", "--no-verify", "-am", "docs: more")
    repo.git("push", "--quiet", "origin", "main")
    head, production, history = (
        repo.main_head(),
        repo.record("production"),
        repo.origin_file("deploy/history.jsonl"),
    )
    done = repo.tag("v0.2.0")
    assert done.returncode != 0
    assert "production takes only the build staging holds now" in output(done)
    assert repo.main_head() == head
    assert repo.record("production") == production
    assert repo.origin_file("deploy/history.jsonl") == history


def test_later_release_then_rollback_restores_the_earlier_one(repo: Repo) -> None:
    first = repo.record("production")
    repo.git("tag", "--delete", "v0.2.0")
    repo.git("push", "--quiet", "origin", ":refs/tags/v0.2.0")
    engine = repo.env["CONTAINER_ENGINE"]
    repo.env["CONTAINER_ENGINE"] = "none"  # this release proves the path without an image
    assert repo.tag("v0.2.0-rc.1").returncode == 0
    card, _ = model_card(repo, "staging-reports")
    assert f"the champion is version {first['model_version']}" in card  # v0.1.0's model
    assert repo.tag("v0.2.0").returncode == 0
    second = repo.record("production")
    assert second["version"] == "v0.2.0" and second["digest"] != first["digest"]
    assert second["image_digest"] is None
    overlay = repo.origin_file("deploy/overlays/production/kustomization.yaml")
    assert f"digest: {second['digest']}" in overlay
    assert second["model_version"] > first["model_version"]
    assert second["deployed_check"]["passed"] is None  # no image: nothing ran it, and
    assert "no image was built" in second["deployed_check"]["answer"]  # the record says so

    repo.env["CONTAINER_ENGINE"] = engine  # v0.1.0's image runs again, and is checked there
    done = repo.act("dispatch", "rollback", "environment=production", "version=v0.1.0")
    assert done.returncode == 0, explain(done)
    restored = repo.record("production")
    if engine != "none":
        assert restored["deployed_check"]["target"].endswith("deploy/overlays/production")
        assert restored["deployed_check"]["passed"] is True
    assert (restored["version"], restored["digest"], restored["model_version"]) == (
        first["version"],
        first["digest"],
        first["model_version"],
    )
    assert restored["image_digest"] == first["image_digest"]
    overlay = repo.origin_file("deploy/overlays/production/kustomization.yaml")
    assert f"digest: {first['image_digest'] or first['digest']}" in overlay
    assert restored["action"] == "rollback" and restored["previous_version"] == "v0.2.0"
    assert repo.alias_version("production") == first["model_version"]
    actions = [
        json.loads(line)["action"] for line in repo.origin_file("deploy/history.jsonl").splitlines()
    ]
    assert actions.count("promote") == 4 and actions.count("rollback") == 1
    assert actions[-2:] == ["rollback", "verify"]
    card, _ = model_card(repo, "rollback-reports")
    assert "Rollback of release <strong>v0.1.0</strong>" in card and "replaces v0.2.0" in card


# Level 1 on the same project: production (v0.1.0, after the rollback) answers traffic that
# drifts, the scheduled monitor workflow sees it and calls retraining, which trains on the new
# snapshot the team committed and ends as the next candidate in staging, with an issue asking
# to promote it (posted to a test double of GitHub's API: there is none offline).

DRIFTED = ["mean area", "worst area", "area error"]


def _python(repo: Repo, code: str, *args: str) -> str:
    done = subprocess.run(
        [str(repo.root / ".venv" / "bin" / "python"), "-c", code, *args],
        cwd=repo.root, capture_output=True, text=True, check=True, env=repo.env,
    )  # fmt: skip
    return done.stdout


def _new_snapshot(repo: Repo, name: str, change: str = "") -> str:
    """A new snapshot of the sample committed with its manifest, as a team lands new data;
    `change` (Python on `frame`) spoils it. Returns the manifest's content hash."""
    code = (
        "import sys; from sklearn.datasets import load_breast_cancer\n"
        "frame = load_breast_cancer(as_frame=True).frame.sample(frac=0.9, random_state=5)\n"
        f"{change}\nframe.to_csv(sys.argv[1], index=False)"
    )
    (repo.root / "data" / "external").mkdir(parents=True, exist_ok=True)
    _python(repo, code, f"data/external/{name}")
    params = repo.root / "params.yaml"
    text = re.sub(r"(?m)^  source: .*$", f"  source: data/external/{name}", params.read_text())
    params.write_text(text, encoding="utf-8")
    cli = str(repo.root / ".venv" / "bin" / repo.root.name)
    subprocess.run([cli, "extract"], cwd=repo.root, env=repo.env, check=True, capture_output=True)
    repo.git("add", "params.yaml", "data")
    repo.git("commit", "--quiet", "--no-verify", "-m", f"data: snapshot {name}")
    repo.git("push", "--quiet", "origin", "main")
    return json.loads((repo.root / "data" / "manifest.json").read_text())["content_sha256"]


def _origin_tags(repo: Repo) -> set[str]:
    done = subprocess.run(
        ["git", "--git-dir", str(repo.origin), "tag", "--list", "v*"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(done.stdout.split())


def test_drifted_traffic_starts_retraining_that_stages_the_next_candidate(repo: Repo) -> None:
    repo.git("pull", "--quiet", "--rebase", "origin", "main")
    repo.env["CONTAINER_ENGINE"] = "none"
    production, tags = repo.record("production"), _origin_tags(repo)
    content = _new_snapshot(repo, "snapshot-2.csv")
    drifted = repo.root.parent / "drifted.csv"
    shift = "; ".join(f"frame[{c!r}] = frame[{c!r}] * 1.5 + frame[{c!r}].std()" for c in DRIFTED)
    _python(repo, "import sys; from sklearn.datasets import load_breast_cancer\n"
            "frame = load_breast_cancer(as_frame=True).data\n"
            f"{shift}\nframe.to_csv(sys.argv[1], index=False)", str(drifted))  # fmt: skip
    log = repo.root.parent / "production-log" / "predictions.parquet"
    cli = str(repo.root / ".venv" / "bin" / repo.root.name)
    served = subprocess.run(
        [cli, "score", str(drifted), "--out", str(drifted.with_suffix(".scored.csv")),
         "--log", str(log)],
        cwd=repo.root, env=repo.env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert served.returncode == 0 and "(@production)" in served.stdout, output(served)

    repo.env["PREDICTION_LOG"] = str(log)
    repo.env["GITHUB_REPOSITORY"] = "your-org/gitops-demo"
    repo.env["GITHUB_TOKEN"] = "a-token-for-the-double"
    with github_api_double() as github:
        repo.env["GITHUB_API_URL"] = github.url
        done = repo.act("schedule", "monitor")
    log_text = output(done)
    assert done.returncode == 0, explain(done)
    assert "monitor: drift" in log_text and all(repr(c) in log_text for c in DRIFTED)
    assert "[retrain/retrain/retrain]" in log_text  # called on the verdict

    staging = repo.record("staging")
    assert staging["version"] == "v0.2.1-rc.1" and _origin_tags(repo) == tags | {"v0.2.1-rc.1"}
    assert staging["data_sha256"] and content in repo.origin_file("data/manifest.json")
    assert repo.record("production") == production  # the release manager decides
    (issue,) = github.issues
    assert issue["repo"] == "your-org/gitops-demo" and issue["token"] == "a-token-for-the-double"
    assert "v0.2.1-rc.1" in issue["body"]["title"] and "tag v0.2.1" in issue["body"]["title"]
    assert "## Model card: v0.2.1-rc.1" in issue["body"]["body"]
    assert staging["commit"][:12] in issue["body"]["body"]


def test_a_retraining_that_fails_its_gates_releases_nothing(repo: Repo) -> None:
    repo.git("pull", "--quiet", "--rebase", "origin", "main")
    before = (repo.record("staging"), repo.record("production"), _origin_tags(repo))
    history = repo.origin_file("deploy/history.jsonl")
    _new_snapshot(repo, "snapshot-3.csv", "frame['leak'] = frame['target']")  # a new column
    repo.env.pop("GITHUB_API_URL", None)
    done = repo.act("dispatch", "retrain", "reason=new data")
    log_text = output(done)
    assert done.returncode != 0
    assert "pipeline stopped at 'validate_data'" in log_text
    assert "Success - Main Nothing released" in log_text  # the job summary says so
    assert "Release candidate **" not in log_text  # no tag was made
    assert (repo.record("staging"), repo.record("production"), _origin_tags(repo)) == before
    assert repo.origin_file("deploy/history.jsonl") == history
