"""A team's first week, as one scenario: their own data, a first staging and production release,
then the project's whole test suite and its CI workflow on a clean checkout of main, all of it
tracked by a real `mlflow server` on loopback.

The generated tests build their own fixtures, so they stay green whatever the project's
params.yaml, data, deploy/ state and MLflow store hold. This bakes a project, points it at a
CSV with other columns, another target and text features, commits the contract, releases
v0.1.0-rc.1 to staging and v0.1.0 to production through the real release workflow (act,
against a bare origin), then runs the CI workflow, whose jobs run the whole `make test` tier by
tier, in a fresh clone of main.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import random
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ci.bake import DEFAULTS, find_python, make
from ci.gitops_repo import Repo, baked_with_origin, explain, output
from ci.servers import mlflow_server

pytestmark = [pytest.mark.act, pytest.mark.long, pytest.mark.xdist_group("own-data")]
ROWS = 1_500
PYTHON = find_python(DEFAULTS[0])  # the default answers: test_bake.py leaves their suite to this
CITIES = ["Oslo", "Lima", "Pune", "Kobe"]
# The team's tracking credentials, planted to be found: the server (no auth app) ignores them,
# the clients send them with every request, and no file or log the week leaves may show them.
USERNAME, PASSWORD = "team-bot", "Pl4nted-Tr4cking-Secret-91c3"


def write_loans(path: Path, rows: int = ROWS, seed: int = 7) -> None:
    """Loans with an id, numbers, two text columns and a 0/1 label no single column gives away."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["loan_id", "income", "years", "city", "channel", "late"])
        for index in range(rows):
            income, years = round(rng.gauss(52_000, 15_000), 2), rng.randint(1, 29)
            city, channel = rng.choice(CITIES), rng.choice(["branch", "online", "broker"])
            signal = (income - 52_000) / 15_000 + (years - 15) / 8.5 + (city == "Lima") * 0.4
            late = int(signal + rng.gauss(0, 0.35) < 0)
            writer.writerow([f"L{index:06d}", income, years, city, channel, late])


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    base = tmp_path_factory.mktemp("own-data")
    repo = baked_with_origin(base, "Loan Risk")
    repo.env["CONTAINER_ENGINE"] = "none"  # test_gitops proves the image path
    # The team's tracking server, as teams run one: every job, release and clone below logs,
    # registers and resolves aliases through its REST API, and its artifacts outlive any job.
    with mlflow_server(repo.root / ".venv" / "bin" / "mlflow", base / "tracking-server") as url:
        repo.env["MLFLOW_TRACKING_URI"] = url
        repo.env.update(MLFLOW_TRACKING_USERNAME=USERNAME, MLFLOW_TRACKING_PASSWORD=PASSWORD)
        yield repo


def test_own_data_passes_the_pipeline_and_its_contract_is_committed(team: Repo) -> None:
    data = team.root / "data" / "external" / "loans.csv"
    write_loans(data)
    params_file = team.root / "params.yaml"
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    params["data"].update(source="data/external/loans.csv", target="late", drop=["loan_id"])
    params_file.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    (team.root / "data" / "contract.json").unlink(missing_ok=True)
    done = make(team.root, "pipeline", python=PYTHON)
    (team.root.parent / "pipeline.log").write_text(output(done), encoding="utf-8")
    assert done.returncode == 0, output(done)[-6000:]
    contract = team.root / "data" / "contract.json"
    assert contract.is_file() and '"late"' in contract.read_text(encoding="utf-8")
    # the data version to commit beside it: the file's own sha256
    manifest = json.loads((team.root / "data" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert manifest["source"] == "data/external/loans.csv" and manifest["hash_of"] == "file"
    team.git("add", "params.yaml", str(data), str(contract), "data/manifest.json")
    team.git("commit", "--quiet", "--no-verify", "-m", "Our own loan data and its contract")
    team.git("push", "--quiet", "origin", "main")


def test_first_staging_and_production_releases(team: Repo) -> None:
    # both tags on the commit that holds the data: production takes the build staging passed
    for tag, environment in (("v0.1.0-rc.1", "staging"), ("v0.1.0", "production")):
        done = team.tag(tag)
        assert done.returncode == 0, explain(done)
        assert team.record(environment)["version"] == tag
    assert team.origin_file("deploy/history.jsonl").count("\n") == 4  # each, and its check


TIERS = ("test-fast", "test-pipeline", "test-e2e", "test-slow")  # ci.yml's unit ... slow jobs


def collected(root: Path, target: str) -> set[str]:
    """The test ids `make <target>` runs, from the pytest command the Makefile itself gives."""
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", target], cwd=root, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    (command,) = [shlex.split(line) for line in dry.stdout.splitlines() if "/pytest" in line]
    done = subprocess.run(
        [*command, "--collect-only", "-q", "-n", "0"], cwd=root, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {line for line in done.stdout.splitlines() if "::" in line}


def test_the_ci_workflow_runs_the_whole_suite_green_on_main(team: Repo) -> None:
    """A clean clone of origin/main (the team's data, contract and release records), then the
    CI workflow under act: lint, the pipeline, and `make test` tier by tier in its jobs.

    The tiers are proved to add up to `make test` exactly, from the Makefile's own commands, so
    the workflow's jobs run the whole suite once; running `make test` beside them would run
    every test twice.
    """
    clone = team.root.parent / "clone" / team.root.name
    clone.parent.mkdir()
    subprocess.run(
        ["git", "clone", "--quiet", "--branch", "main", str(team.origin), str(clone)], check=True
    )
    fresh = Repo(clone)
    fresh.origin, fresh.env = team.origin, dict(team.env)
    installed = make(clone, "install", python=PYTHON)
    assert installed.returncode == 0, output(installed)
    # fresh.env carries the planted credentials: ci/act.py hands them to the jobs as secrets
    assert "late" in (clone / "params.yaml").read_text(encoding="utf-8")
    assert fresh.origin_file("deploy/overlays/production/release.json").strip() != "{}"

    whole, tiers = collected(clone, "test"), [collected(clone, tier) for tier in TIERS]
    assert len(whole) > 100 and sum(len(tier) for tier in tiers) == len(whole)
    assert set().union(*tiers) == whole  # every test in one tier, none in two

    done = fresh.act("push")
    log = output(done)
    assert done.returncode == 0, explain(done)
    for job in ("lint", "unit", "pipeline-tests", "e2e", "slow", "pipeline", "all-green"):
        assert f"[ci/{job}" in log, job
    assert "Job failed" not in log
    summary = Path(fresh.env["LOCAL_OUTPUTS"]) / "artifacts" / "reports" / "reports" / "summary.md"
    assert "Gate passed" in summary.read_text(encoding="utf-8")


def leaks(path: Path, secrets: list[bytes]) -> list[str]:
    """Files under `path` (virtualenvs aside) whose bytes hold any of `secrets`."""
    found = []
    for folder, dirs, files in os.walk(path):
        dirs[:] = [name for name in dirs if name not in {".venv", "node_modules"}]
        for name in files:
            file = Path(folder, name)
            if not file.is_symlink() and any(s in file.read_bytes() for s in secrets):
                found.append(str(file.relative_to(path)))
    return found


def test_no_file_log_or_commit_shows_the_tracking_password(team: Repo) -> None:
    """Everything the week left: the project and its clone (reports, gates, model cards, the
    bento, MLflow's store), the tracking server's database and log, every act log and uploaded
    artifact, the pipeline's console output, and every commit on origin."""
    basic = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    secrets = [PASSWORD.encode(), basic.encode()]
    assert (team.root.parent / "pipeline.log").is_file() and list(
        (team.root.parent / "act-logs").iterdir()
    )
    assert leaks(team.root.parent, secrets) == []
    history = subprocess.run(
        ["git", "--git-dir", str(team.origin), "log", "--all", "-p", "--format=%B"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "late" in history and PASSWORD not in history and basic not in history


def test_origin_keeps_the_week_s_releases_in_order(team: Repo) -> None:
    """The state the week left in Git: both releases recorded, in order, on the data commit.

    Last and quick on purpose: a worker takes its next group while this runs, not while the
    CI workflow does (tests/conftest.py)."""
    history = [json.loads(line) for line in team.origin_file("deploy/history.jsonl").splitlines()]
    assert [(r["environment"], r["version"], r["action"]) for r in history] == [
        ("staging", "v0.1.0-rc.1", "promote"),
        ("staging", "v0.1.0-rc.1", "verify"),  # no image here: the check says nothing ran it
        ("production", "v0.1.0", "promote"),
        ("production", "v0.1.0", "verify"),
    ]
    assert "no image was built" in history[1]["deployed_check"]["answer"]
    assert history[0]["commit"] == history[2]["commit"]  # production took staging's build
    assert team.record("production")["digest"] == team.record("staging")["digest"]
