"""Build once, promote many: the packaged bento as an archive addressed by its sha256.

Every staging release stores the archive here, tagged with the version and the commit SHA, so
"the same build" is checkable with or without a container engine. Where an engine exists the
image built from it is what deploys (images.py); without one, production and rollback fetch and
verify this archive instead, so they deploy exactly the bytes staging tested.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..serving.process import bentoml_command
from .versions import ReleaseError

CHUNK = 1 << 20
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # a registry tag, as OCI allows


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


@dataclass(frozen=True)
class ArtifactStore:
    """A directory of bento archives named by digest: the local stand-in for an image registry."""

    root: Path

    def path_for(self, digest: str) -> Path:
        if not digest.startswith("sha256:") or len(digest) != 71:
            raise ReleaseError(f"not a sha256 digest: {digest!r}")
        return self.root / f"{digest.replace(':', '-')}.bento"

    def push(self, archive: Path) -> str:
        digest = sha256_of(archive)
        target = self.path_for(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(archive, target)
        return digest

    def tag(self, digest: str, *names: str) -> None:
        """Name a stored digest (a version, a commit SHA), as a registry tags an image."""
        self.path_for(digest)  # validates the digest
        for name in names:
            if not TAG.fullmatch(name):
                raise ReleaseError(f"not a valid artifact tag: {name!r}")
            target = self.root / "tags" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(digest + "\n", encoding="utf-8")

    def resolve(self, name: str) -> str:
        path = self.root / "tags" / name
        if not path.is_file():
            raise ReleaseError(f"no artifact tagged {name!r} in {self.root}")
        return path.read_text(encoding="utf-8").strip()

    def pull(self, digest: str) -> Path:
        """The archive with this digest, verified: a changed byte is refused, not deployed."""
        path = self.path_for(digest)
        if not path.is_file():
            raise ReleaseError(f"no artifact {digest} in {self.root}: was it built by staging?")
        actual = sha256_of(path)
        if actual != digest:
            raise ReleaseError(f"artifact {path} has digest {actual}, expected {digest}")
        return path


def default_store() -> ArtifactStore:
    return ArtifactStore(Path(os.environ.get("ARTIFACT_STORE", ".artifacts")).resolve())


def export_bento(bento: str, directory: Path) -> Path:
    archive = directory / "bento.bento"
    run_bentoml("export", bento, str(archive))
    return archive


def import_bento(archive: Path) -> str:
    """Import an archive into the current BENTOML_HOME; returns the bento tag."""
    output = run_bentoml("import", str(archive))
    found = re.search(r'tag="([^"]+)"', output)
    if found is None:
        raise ReleaseError(f"could not read the bento tag from `bentoml import`: {output}")
    return found.group(1)


def run_bentoml(*args: str) -> str:
    done = subprocess.run([*bentoml_command(), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ReleaseError(f"bentoml {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout + done.stderr


def publish(bento: str, store: ArtifactStore) -> str:
    """Export the bento and store it; returns its digest."""
    with tempfile.TemporaryDirectory() as scratch:
        return store.push(export_bento(bento, Path(scratch)))
