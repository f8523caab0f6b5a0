"""The service's container image: built once from the bento, pushed by tag, promoted by digest.

Where a container engine answers (docker on GitHub's runners, or podman), a staging release
containerizes the bento with `bentoml containerize`, pushes it tagged with the version and the
commit SHA, and records the digest the registry reports. Production and rollback never build:
`skopeo` copies that digest to the new tag inside the registry and checks it is unchanged.
`CONTAINER_ENGINE` picks the engine (`docker`, `podman`, `none`; unset means the first that
answers); with none, no image is made and the bento archive's digest names the build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from ..serving.process import bentoml_command
from . import github
from .artifacts import TAG
from .versions import ReleaseError

ENGINES = ("docker", "podman")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _run(command: list[str], what: str, timeout: float = 3600) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise ReleaseError(f"{what}: `{command[0]}` is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise ReleaseError(f"{what}: `{' '.join(command[:3])}` took over {timeout:.0f}s") from exc
    if done.returncode != 0:
        raise ReleaseError(f"{what} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout.strip()


def _require_tag(tag: str) -> str:
    if not TAG.fullmatch(tag):
        raise ReleaseError(f"not a valid image tag: {tag!r}")
    return tag


def _skopeo(*args: str) -> list[str]:
    """skopeo with CONTAINERS_REGISTRIES_CONF passed on, which skopeo before 1.10 ignores."""
    conf = os.environ.get("CONTAINERS_REGISTRIES_CONF")
    return ["skopeo", *(["--registries-conf", conf] if conf else []), *args]


def answers(engine: str) -> bool:
    """Whether `engine info` succeeds here (the engine is installed and its daemon answers)."""
    if shutil.which(engine) is None:
        return False
    try:
        probe = subprocess.run([engine, "info"], capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


def engine_setting() -> str:
    """CONTAINER_ENGINE, checked without probing anything: the route job refuses a typo early.

    Unset on GitHub's hosted runners means docker, which they have: a release there must not
    quietly fall back to no image because the daemon did not answer.
    """
    wanted = os.environ.get("CONTAINER_ENGINE", "").strip().lower()
    if wanted and wanted not in (*ENGINES, "none"):
        raise ReleaseError(
            f"CONTAINER_ENGINE={wanted!r} is not supported: use {', '.join(ENGINES)} or none"
        )
    return wanted or ("docker" if github.on_github() else "")


def container_engine() -> str | None:
    """The engine `CONTAINER_ENGINE` asks for; unset: the first that answers, or None."""
    wanted = engine_setting()
    if wanted == "none":
        return None
    if wanted:
        if not answers(wanted):
            raise ReleaseError(f"CONTAINER_ENGINE={wanted}, but `{wanted} info` fails here")
        return wanted
    return next((engine for engine in ENGINES if answers(engine)), None)


@dataclass(frozen=True)
class ImageRepository:
    """One image repository in a registry (`host/owner/name`), read and tagged with skopeo."""

    name: str

    def reference(self, digest: str) -> str:
        if not DIGEST.fullmatch(digest):
            raise ReleaseError(f"not an image digest: {digest!r}")
        return f"{self.name}@{digest}"

    def digest_of(self, reference: str) -> str:
        """The digest the registry serves for a tag or digest reference (it must exist)."""
        answer = _run(
            _skopeo("inspect", "--no-tags", f"docker://{reference}"),
            f"looking up {reference} in the registry",
            timeout=300,
        )
        try:
            digest = str(json.loads(answer)["Digest"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ReleaseError(f"`skopeo inspect {reference}` gave no digest: {answer!r}") from exc
        if not DIGEST.fullmatch(digest):
            raise ReleaseError(f"the registry gave no digest for {reference}: {digest!r}")
        return digest

    def require(self, digest: str) -> None:
        """Refuse a digest the registry no longer holds, before any state changes."""
        found = self.digest_of(self.reference(digest))
        if found != digest:
            raise ReleaseError(f"{self.name} serves {found} for {digest}")

    def tag(self, digest: str, tag: str) -> None:
        """Give an existing digest one more tag, inside the registry: no pull, no rebuild."""
        _require_tag(tag)
        _run(
            _skopeo("copy", "--all", "--preserve-digests", "--quiet",
                    f"docker://{self.reference(digest)}", f"docker://{self.name}:{tag}"),
            f"tagging {self.name}@{digest} as {tag}",
        )  # fmt: skip
        found = self.digest_of(f"{self.name}:{tag}")
        if found != digest:
            raise ReleaseError(f"{self.name}:{tag} is {found} after the copy, expected {digest}")

    def build_and_push(self, engine: str, bento: str, tags: list[str]) -> str:
        """Containerize the bento, push every tag, and return the one digest they all have."""
        references = [f"{self.name}:{_require_tag(tag)}" for tag in tags]
        flags = [arg for reference in references for arg in ("--image-tag", reference)]
        _run(
            [*bentoml_command(), "containerize", bento, "--backend", engine, *flags],
            f"bentoml containerize {bento} with {engine}",
        )
        for reference in references:
            _run([engine, "push", reference], f"{engine} push {reference}")
        digests = {self.digest_of(reference) for reference in references}
        if len(digests) != 1:
            raise ReleaseError(f"the pushed tags differ in digest: {sorted(digests)}")
        return digests.pop()
