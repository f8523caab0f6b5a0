"""Release tags: which environment a tag targets, compared as versions, never as strings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from packaging.version import Version

from ..errors import PipelineError

Environment = Literal["staging", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("staging", "production")
# ASCII digits only ("\d" would take "v1.2.1٣"), matched whole: nothing before, after or around.
NUMBER = "(?:0|[1-9][0-9]*)"
TAG_PATTERN = re.compile(
    rf"v(?P<base>{NUMBER}\.{NUMBER}\.{NUMBER})(?:-rc\.(?P<rc>{NUMBER}))?", re.ASCII
)
TAG_HELP = "use vX.Y.Z-rc.N to release to staging or vX.Y.Z to promote to production"


class ReleaseError(PipelineError):
    """A promotion that must not happen; the message says why and what would be accepted."""


@dataclass(frozen=True)
class ReleaseTag:
    tag: str
    base: str
    rc: int | None

    @property
    def environment(self) -> Environment:
        return "staging" if self.rc is not None else "production"

    @property
    def version(self) -> Version:
        return Version(self.base if self.rc is None else f"{self.base}rc{self.rc}")


def parse_tag(tag: str) -> ReleaseTag:
    match = TAG_PATTERN.fullmatch(tag) if isinstance(tag, str) else None
    if match is None:
        raise ReleaseError(f"tag {tag!r} is not a release tag: {TAG_HELP}")
    rc = match.group("rc")
    return ReleaseTag(tag=tag, base=match.group("base"), rc=None if rc is None else int(rc))


def require_newer(tag: ReleaseTag, production_version: str | None) -> None:
    """A release must be above what production runs now (rollback is the way back)."""
    if production_version is None:
        return
    current = parse_tag(production_version)
    if tag.version <= current.version:
        raise ReleaseError(
            f"tag {tag.tag} is not above the current production release {current.tag}; "
            "release a higher version (to go back, use rollback)"
        )


def next_candidate(tags: list[str], production: str | None) -> str:
    """The tag a retraining run releases to staging, from every tag and release so far.

    It continues the newest version not yet released to production (vA.B.C-rc.N+1): a
    candidate already waiting there may be joined, never overtaken by a lower one. When every
    version has been released, it is the next patch of the newest (vX.Y.Z+1-rc.1): retraining
    changes the model, not the code or its API. The first ever is v0.1.0-rc.1. An rc number
    is never used twice, even one that never reached staging.
    """
    found = [parse_tag(tag) for tag in tags if TAG_PATTERN.fullmatch(tag)]
    if production:
        found.append(parse_tag(production))
    released = {Version(tag.base) for tag in found if tag.rc is None}
    newest = max(released, default=None)
    waiting = [
        Version(tag.base)
        for tag in found
        if Version(tag.base) not in released and (newest is None or Version(tag.base) > newest)
    ]
    if waiting:
        base = str(max(waiting))
    elif newest is not None:
        base = f"{newest.major}.{newest.minor}.{newest.micro + 1}"
    else:
        base = "0.1.0"
    used = [tag.rc for tag in found if tag.base == base and tag.rc is not None]
    return f"v{base}-rc.{max(used, default=0) + 1}"
