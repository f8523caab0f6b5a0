"""The three release moves: a release candidate to staging, the same build to production, and
rollback of an environment to an earlier release.

Each returns the record to apply and notes for the summary; Git is changed only afterwards,
by the caller. Registry writes happen first and are safe to repeat: staging pushes the image
under its commit SHA and names it with the release tag only once its smoke test passed;
production adds its version tag to the staged digest, so a re-run after a failed Git push
converges.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

from ..config import Params
from ..layout import Layout, read_json
from ..serving.process import predict, serving, serving_image
from . import github
from .artifacts import ArtifactStore, import_bento, publish
from .images import ImageRepository
from .records import DeployState, ReleaseRecord
from .rules import require_trained_here, require_unused, staged_build
from .versions import Environment, ReleaseError, parse_tag, require_newer


def gate_summary(gates: dict) -> dict:
    """What the record keeps of the gate report: every check's verdict, and the report files."""
    return {
        "failed": gates["failed"],
        "checks": len(gates["checks"]),
        "results": [
            {
                key: str(check[key])[:300]
                for key in ("suite", "check", "condition", "status", "details")
            }
            for check in gates["checks"]
        ],
        "reports": gates.get("reports", {}),
    }


def smoke_test(archive: Path, rows: list[dict]) -> dict:
    """Import the archive into a scratch BentoML home, serve it, and ask it to predict."""
    previous = os.environ.get("BENTOML_HOME")
    with tempfile.TemporaryDirectory(prefix="smoke-") as home:
        os.environ["BENTOML_HOME"] = home
        try:
            with serving(import_bento(archive)) as url:
                return predict(url, rows)
        finally:
            if previous is None:
                os.environ.pop("BENTOML_HOME", None)
            else:
                os.environ["BENTOML_HOME"] = previous


def release_to_staging(
    tag: str,
    params: Params,
    layout: Layout,
    state: DeployState,
    store: ArtifactStore,
    commit: str,
    image: str,
    rows: list[dict],
    engine: str | None,
) -> tuple[ReleaseRecord, list[str]]:
    """Publish the bento this job built (and its image, given an engine), smoke-test what was
    published, and record it as staging's release."""
    release = parse_tag(tag)
    if release.environment != "staging":
        raise ReleaseError(f"{tag} is a production tag; staging takes vX.Y.Z-rc.N")
    production = state.current("production")
    require_newer(release, production.version if production else None)
    require_unused(release, state)
    registration = read_json(layout.registration, "register")
    if not registration.get("registered"):
        raise ReleaseError("the pipeline did not register a model: the gates must pass first")
    require_trained_here(registration, commit)
    package = read_json(layout.package_record, "package")
    gates = read_json(layout.gates, "validate_model")

    digest = publish(package["bento"], store)
    store.tag(digest, commit)
    if engine is None:
        image_digest, tested = None, digest
        answer = smoke_test(store.pull(digest), rows)
        notes = [f"no container engine answered: the bento archive {digest} is the build"]
    else:
        repository = ImageRepository(image)
        image_digest = repository.build_and_push(engine, package["bento"], [commit])
        tested = repository.reference(image_digest)
        with serving_image(engine, tested) as url:
            answer = predict(url, rows)
        repository.tag(image_digest, release.tag)  # only a build that answered gets the name
        notes = [f"image built with {engine}, pushed as {image}:{commit[:12]}… and :{release.tag}"]
    store.tag(digest, release.tag)
    served = (
        f"{len(answer['predictions'])} predictions from model version {answer['model_version']}"
    )
    current = state.current("staging")
    context = github.run_context()
    record = ReleaseRecord(
        environment="staging",
        version=release.tag,
        commit=commit,
        model_name=params.registry.model_name,
        model_version=int(registration["version"]),
        bento=package["bento"],
        image=image,
        digest=digest,
        gates_passed=bool(gates["passed"]),
        gates=gate_summary(gates),
        metrics=read_json(layout.metrics, "evaluate"),
        previous_version=current.version if current else None,
        image_digest=image_digest,
        run_id=registration["run_id"],
        data_sha256=registration.get("data.sha256", ""),
        smoke_test=f"{tested}: {served}",
        champion=(read_json(layout.champion, "validate_model").get("champion") or {})
        if layout.champion.is_file()
        else {},
        **context,
        build_run_url=context["run_url"],
    )
    return record, [*notes, f"smoke test of {record.smoke_test}"]


def promote_to_production(
    tag: str, state: DeployState, store: ArtifactStore, commit: str, *, staging_url: str
) -> tuple[ReleaseRecord, list[str]]:
    """Promote the exact staging build: same digest, same model version; nothing is rebuilt."""
    source = staged_build(state, tag, commit, staging_url=staging_url)
    production = state.current("production")
    require_newer(parse_tag(tag), production.version if production else None)
    if source.image_digest:
        ImageRepository(source.image).tag(source.image_digest, tag)  # same digest, or refused
    else:
        store.pull(source.digest)  # present and unchanged, or refused
        store.tag(source.digest, tag)
    record = replace(
        source,
        environment="production",
        version=tag,
        action="promote",
        previous_version=production.version if production else None,
        deployed_check={},  # production's own, once it runs there
        **github.run_context(),
    )
    return record, [f"promoting the build of {source.version} ({source.deployed_digest}) unchanged"]


def rollback(
    environment: Environment, to_version: str, state: DeployState, store: ArtifactStore
) -> tuple[ReleaseRecord, list[str]]:
    """Put an environment back on an earlier release of its own: its state and its alias."""
    parse_tag(to_version)
    earlier = [
        record
        for record in state.history()
        if record.environment == environment and record.version == to_version
    ]
    current = state.current(environment)
    if not earlier:
        known = sorted({r.version for r in state.history() if r.environment == environment})
        raise ReleaseError(
            f"{environment} never ran {to_version}; releases it ran: {', '.join(known) or 'none'}"
        )
    if current and current.version == to_version:
        raise ReleaseError(f"{environment} already runs {to_version}")
    target = earlier[-1]
    if target.image_digest:
        ImageRepository(target.image).require(target.image_digest)
    else:
        store.pull(target.digest)
    record = replace(
        target,
        action="rollback",
        previous_version=current.version if current else None,
        deployed_check={},
        **github.run_context(),
    )
    return record, [f"rolling {environment} back to {to_version} ({target.deployed_digest})"]


def release_notes(record: ReleaseRecord) -> str:
    lines = [
        f"# {record.version}: {record.model_name} version {record.model_version}",
        "",
        f"- commit: `{record.commit}`",
        f"- bento: `{record.bento}` (archive `{record.digest}`)",
        f"- image: `{record.image}@{record.image_digest}`"
        if record.image_digest
        else "- image: none built (no container engine); the bento archive is the build",
        f"- gates: {'passed' if record.gates_passed else 'FAILED'} "
        f"({record.gates.get('checks', '?')} checks)",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {name} | {value:.4f} |" for name, value in sorted(record.metrics.items())),
    ]
    return "\n".join(lines) + "\n"
