"""The GitOps state: per environment, a release record and the overlay's image digest.

`deploy/overlays/<env>/release.json` says what runs there (version, commit, model version,
bento and image digests, gate results); `kustomization.yaml` beside it pins the same digest for Argo CD;
`deploy/history.jsonl` keeps every promotion, rollback and check where deployed, in order, as
the audit trail.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .versions import Environment, ReleaseError

IMAGE_NAME = "model-service"  # the image name used in deploy/base; overlays pin its digest
CHECKED = "verify"  # a history entry recording a check where a release runs, not a release


@dataclass(frozen=True)
class ReleaseRecord:
    environment: Environment
    version: str
    commit: str
    model_name: str
    model_version: int
    bento: str
    image: str
    digest: str  # the bento archive's sha256: the build, with or without an image
    gates_passed: bool
    gates: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    action: str = "promote"
    at: str = ""
    actor: str = ""
    run_url: str = ""
    previous_version: str | None = None
    image_digest: str | None = None  # the registry's digest of the image, where one was built
    run_id: str = ""  # the MLflow run that trained and gated the model
    data_sha256: str = ""  # the dataset that run saw
    champion: dict[str, Any] = field(default_factory=dict)  # the gate's comparison, if any
    build_run_url: str = ""  # the staging workflow run that built and tested it
    smoke_test: str = ""  # what staging's smoke test served; empty: it never passed one
    # the smoke test where it is deployed (deployed.py): target, passed, at, answer
    deployed_check: dict[str, Any] = field(default_factory=dict)

    @property
    def deployed_digest(self) -> str:
        """What the overlay pins: the image's digest, or the bento's where no image exists."""
        return self.image_digest or self.digest

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ReleaseRecord:
        known = {name for name in cls.__dataclass_fields__}
        check = raw.get("deployed_check", {})
        passed = check.get("passed") if isinstance(check, dict) else "no mapping"
        if passed is not None and not isinstance(passed, bool):
            raise TypeError(f"deployed_check is no check record: {check!r}"[:200])
        return cls(**{key: value for key, value in raw.items() if key in known})


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def _parsed(path: Path, text: str, line: int | None = None) -> Any:
    """JSON of a record file (or one history line), or a refusal naming where it broke."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ReleaseError(
            f"{_where(path, line)} is not a JSON record ({error.msg} at column {error.colno}): "
            "restore it from git (`git checkout -- deploy/`) before releasing"
        ) from None


def _record(path: Path, raw: Any, line: int | None = None) -> ReleaseRecord:
    try:
        return ReleaseRecord.from_dict(raw)
    except (TypeError, AttributeError) as error:
        raise ReleaseError(
            f"{_where(path, line)} is not a release record ({error}): "
            "restore it from git (`git checkout -- deploy/`) before releasing"
        ) from None


@dataclass(frozen=True)
class DeployState:
    """The `deploy/` folder of a checkout of the default branch."""

    root: Path

    def overlay(self, environment: Environment) -> Path:
        return self.root / "overlays" / environment

    def record_path(self, environment: Environment) -> Path:
        return self.overlay(environment) / "release.json"

    @property
    def history_path(self) -> Path:
        return self.root / "history.jsonl"

    def current(self, environment: Environment) -> ReleaseRecord | None:
        path = self.record_path(environment)
        if not path.is_file():
            return None
        raw = _parsed(path, path.read_text(encoding="utf-8"))
        return _record(path, raw) if raw else None

    def history(self) -> list[ReleaseRecord]:
        if not self.history_path.is_file():
            return []
        lines = self.history_path.read_text(encoding="utf-8").splitlines()
        entries = [
            (number, _parsed(self.history_path, line, number))
            for number, line in enumerate(lines, 1)
            if line.strip()
        ]
        return [
            _record(self.history_path, raw, number)
            for number, raw in entries
            if not (isinstance(raw, dict) and raw.get("action") == CHECKED)
        ]

    def apply(self, record: ReleaseRecord) -> None:
        """Make `record` the environment's desired state and append it to the history."""
        overlay = self.overlay(record.environment)
        if not overlay.is_dir():
            raise ReleaseError(f"{overlay} is missing: the deploy/ folder is incomplete")
        self._write_current(record)
        self._pin_image(overlay / "kustomization.yaml", record.image, record.deployed_digest)
        self._append(record.to_dict())

    def record_check(self, record: ReleaseRecord, context: dict[str, str]) -> None:
        """Keep what the check where it is deployed found, in the environment's record and as a
        `verify` entry of the history (which release, who checked, and the check: history()
        reads releases only); the overlay is untouched: Argo CD has nothing to sync."""
        current = self.current(record.environment)
        if current is None or (current.version, current.deployed_digest) != (
            record.version,
            record.deployed_digest,
        ):
            raise ReleaseError(
                f"{record.environment} no longer runs {record.version}: its check is not recorded"
            )
        self._write_current(record)
        self._append({
            "action": CHECKED, "environment": record.environment, "version": record.version,
            "deployed_digest": record.deployed_digest, "deployed_check": record.deployed_check,
            **context,
        })  # fmt: skip

    def _write_current(self, record: ReleaseRecord) -> None:
        self.record_path(record.environment).write_text(
            json.dumps(record.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )

    def _append(self, entry: dict[str, Any]) -> None:
        with self.history_path.open("a", encoding="utf-8") as history:
            history.write(json.dumps(entry, sort_keys=True) + "\n")

    @staticmethod
    def _pin_image(kustomization: Path, image: str, digest: str) -> None:
        config = yaml.safe_load(kustomization.read_text(encoding="utf-8")) or {}
        repository = image.split("@", 1)[0]
        config["images"] = [{"name": IMAGE_NAME, "newName": repository, "digest": digest}]
        kustomization.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
