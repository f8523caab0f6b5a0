"""What a release must satisfy before anything is published: the rules a release manager
relies on, each refusal naming what would be accepted instead.

- staging takes a build trained at the tagged commit on a clean tree, under an rc number
  never used before;
- production takes only the build staging holds now, which passed its smoke test before the
  deploy and again where staging runs it (deployed.py) wherever something runs it;
- either takes only a commit on the remote's default branch (gitops.require_on_branch), and a
  version above what production runs (versions.require_newer).
"""

from __future__ import annotations

from .records import DeployState, ReleaseRecord
from .versions import ReleaseError, ReleaseTag, parse_tag


def require_trained_here(registration: dict, commit: str) -> None:
    """The record names the commit the model was trained on: refuse a bento from another
    commit, or from uncommitted changes, rather than label it with this one."""
    trained = registration.get("git.commit", "none")
    if registration.get("git.dirty") == "true":
        raise ReleaseError(
            f"the model was trained on uncommitted changes at {trained[:12]} "
            "(reports/registration.json): commit them, run `make pipeline`, then release"
        )
    if trained != commit:
        raise ReleaseError(
            f"the model was trained at commit {trained[:12]}, not at {commit[:12]} which this "
            "release would record (reports/registration.json): run `make pipeline` here first"
        )


def require_unused(release: ReleaseTag, state: DeployState) -> None:
    """An rc number names one build, once: re-used on another commit, one version would name
    two builds, and production could get the one staging no longer runs."""
    candidates = [
        record
        for record in state.history()
        if record.environment == "staging" and parse_tag(record.version).base == release.base
    ]
    used = [record for record in candidates if record.version == release.tag]
    if used:
        following = max(parse_tag(record.version).rc or 0 for record in candidates) + 1
        raise ReleaseError(
            f"refused: {release.tag} was already released to staging from commit "
            f"{used[0].commit[:12]}; an rc number is used once: tag the commit to release "
            f"v{release.base}-rc.{following}"
        )


def answered_where_deployed(record: ReleaseRecord, url: str) -> bool:
    """Its check where it runs passed, at `url` when the environment has one (a check made
    elsewhere, a laptop's podman say, does not count then); without a URL, wherever podman ran
    its image; with neither, nothing could run it and nothing is asked."""
    check = record.deployed_check
    if url:
        return check.get("passed") is True and check.get("target") == url
    return check.get("passed") is True or not record.image_digest


def staged_build(state: DeployState, tag: str, commit: str, *, staging_url: str) -> ReleaseRecord:
    """The build production may take: the one staging holds now, if it passed its smoke test
    there and `tag` names its commit and version. Nothing staging replaced, rolled back from
    or never held."""
    release = parse_tag(tag)
    if release.environment != "production":
        raise ReleaseError(f"{tag} is a release candidate; production takes vX.Y.Z")
    staged = state.current("staging")
    if staged is None:
        raise ReleaseError(
            f"refused: staging holds no release; tag commit {commit[:12]} "
            f"v{release.base}-rc.N and let it pass staging first"
        )
    held = parse_tag(staged.version)
    if staged.commit != commit or held.base != release.base:
        production = state.current("production")
        if production and held.version <= parse_tag(production.version).version:
            accepted = (
                f"{staged.version} is not above production's {production.version}: "
                "release a new candidate to staging first"
            )
        else:
            accepted = (
                f"the only production tag accepted now is v{held.base} on {staged.commit} "
                f"(to release it from a checkout: `git checkout --detach {staged.commit[:12]}`, "
                f"then `make release-production TAG=v{held.base}`)"
            )
        raise ReleaseError(
            f"refused: production takes only the build staging holds now, {staged.version} "
            f"(commit {staged.commit[:12]}), not {tag} on commit {commit[:12]}; {accepted}"
        )
    if not staged.smoke_test:
        raise ReleaseError(
            f"refused: staging's record of {staged.version} shows no passed smoke test; "
            f"release a new candidate v{release.base}-rc.N to staging first"
        )
    if not answered_where_deployed(staged, staging_url):
        check = staged.deployed_check
        where = f" at {staging_url}" if staging_url else ""
        found = str(check.get("answer") or "never checked")
        if check.get("target") and check["target"] != staging_url:
            found = f"checked by {check['target']}: {found}"
        raise ReleaseError(
            f"refused: {staged.version} has not answered where staging runs it{where} "
            f"({found}); once it serves there, "
            "`make release-verify ENV=staging`, then run the production release again"
        )
    return staged
