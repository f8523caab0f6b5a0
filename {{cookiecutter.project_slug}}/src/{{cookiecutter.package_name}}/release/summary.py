"""What a release job shows: printed, and appended to the GitHub job summary when there is one."""

from __future__ import annotations

import os

from . import github
from .records import ReleaseRecord


def backends_note() -> str:
    """Say plainly which backends ran: shared services when configured, local defaults if not."""
    tracking = os.environ.get("MLFLOW_TRACKING_URI")
    store = os.environ.get("ARTIFACT_STORE")
    lines = {
        "MLflow": f"`{tracking}` (configured)"
        if tracking
        else "embedded local store (no MLFLOW_TRACKING_URI secret)",
        "Bento archives": f"`{store}` (configured)"
        if store
        else "local artifact store `.artifacts/` (no ARTIFACT_STORE secret)",
    }
    return "\n".join(f"- {name}: {value}" for name, value in lines.items())


def record_table(record: ReleaseRecord, notes: list[str]) -> str:
    rows = [
        ("environment", record.environment),
        ("action", record.action),
        ("version", record.version),
        ("commit", f"`{record.commit}`"),
        ("model", f"{record.model_name} version {record.model_version}"),
        ("bento", f"`{record.bento}` (`{record.digest}`)"),
        ("image", f"`{record.image}@{record.image_digest}`" if record.image_digest else "none"),
        ("gates", "passed" if record.gates_passed else "failed"),
        ("previous", record.previous_version or "none"),
    ]
    table = ["| | |", "|---|---|", *(f"| {key} | {value} |" for key, value in rows)]
    return "\n".join(
        [f"## {record.environment}: {record.action} {record.version}", "", *table, "",
         *(f"- {note}" for note in notes), "", "### Backends", backends_note(), ""]
    )  # fmt: skip


def publish(markdown: str) -> None:
    print(markdown)
    github.append_summary(markdown)
