"""What a release job shows: printed, and appended to the GitHub job summary when there is one."""

from __future__ import annotations

import os
import re

from . import github
from .records import ReleaseRecord

CELL = re.compile(r"(?<!\\)\|")


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
    """Readable text on the console (or the job's log); the Markdown for the job summary."""
    print(plain_text(markdown))
    github.append_summary(markdown)


def plain_text(markdown: str) -> str:
    """The summaries' Markdown as a terminal shows it well: tables aligned in columns, headings
    underlined, no backticks. Only what these summaries use: headings, tables, bullets."""
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            widths = [
                max(len(row[i]) for row in table if i < len(row)) for i in range(len(table[0]))
            ]
            out.extend(
                "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
                for row in table
            )
            table.clear()

    for line in markdown.replace("`", "").replace("**", "").splitlines():
        if line.startswith("|"):  # a cell's own `|` is escaped as `\|`
            inner = line.strip().removeprefix("|").removesuffix("|")
            cells = [cell.strip().replace("\\|", "|") for cell in CELL.split(inner)]
            if not all(set(cell) <= set("-: ") for cell in cells):  # not the |---| row
                table.append(cells)
            continue
        flush()
        heading = line.lstrip("#")
        if heading != line and heading.startswith(" "):
            out += [heading.strip(), "-" * len(heading.strip())]
        else:
            out.append(line)
    flush()
    return "\n".join(out)
