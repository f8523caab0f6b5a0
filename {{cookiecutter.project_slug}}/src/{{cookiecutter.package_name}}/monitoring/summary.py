"""What `monitor` leaves: a JSON summary for machines, Markdown for a CI job summary, lines for
a terminal. One dict, written three ways."""

from __future__ import annotations

from typing import Any

from ..layout import Layout, atomic_output, write_json

# The exit status says the verdict, so a workflow can act on it (1 and 2: errors, usage).
EXIT_CODES = {"no drift": 0, "drift": 3, "not enough data": 4}


def markdown(summary: dict[str, Any]) -> str:
    model = summary.get("model") or {}
    window = summary["window"]
    lines = [
        f"## Monitoring: {summary['status']}",
        "",
        f"- model: {model.get('name', '?')} version {model.get('version', '?')}",
        f"- window: {window['rows']:,} rows ({window['description']}) from {window['files']} "
        f"log file(s)",
    ]
    if summary.get("reason"):
        lines.append(f"- {summary['reason']}")
    drifted = summary.get("drifted_features") or {}
    if drifted:
        shown = ", ".join(f"`{name}` {score:.2f}" for name, score in drifted.items())
        lines.append(f"- drifted features: {shown}")
    if summary.get("prediction_drift") is not None:
        lines.append(f"- prediction drift: {summary['prediction_drift']:.3f}")
    if summary.get("checks"):
        lines += ["", "| check | condition | status | details |", "|---|---|---|---|"]
        for check in summary["checks"]:
            details = " ".join(str(check["details"]).split())[:300].replace("|", "\\|")
            lines.append(
                f"| {check['check']} | {check['condition']} | {check['status']} | {details} |"
            )
    if summary.get("report"):
        lines += ["", f"Report: `{summary['report']}`"]
    return "\n".join(lines) + "\n"


def write(layout: Layout, summary: dict[str, Any]) -> dict[str, str]:
    """monitor.json and monitor.md under reports/monitoring/; returns their paths."""
    folder = layout.monitoring
    json_path = write_json(folder / "monitor.json", summary)
    with atomic_output(folder / "monitor.md") as scratch:
        scratch.write_text(markdown(summary), encoding="utf-8")
    return {
        "json": str(json_path.relative_to(layout.root)),
        "markdown": str((folder / "monitor.md").relative_to(layout.root)),
    }


def terminal(summary: dict[str, Any]) -> list[str]:
    window = summary["window"]
    lines = [f"monitor: {summary['status']} ({window['rows']:,} rows, {window['description']})"]
    if summary.get("reason"):
        lines.append(f"  {summary['reason']}")
    for check in summary.get("checks", []):
        details = " ".join(str(check["details"]).split())
        if check["status"] == "failed":
            lines.append(f"  - {check['check']}: {details}")
        elif check["status"] == "not run":  # e.g. labels given that joined no logged row
            lines.append(f"  (not run) {check['check']}: {details}")
    for name in ("json", "markdown"):
        if name in summary.get("files", {}):
            lines.append(f"  {name}: {summary['files'][name]}")
    if summary.get("report"):
        lines.append(f"  report: {summary['report']}")
    return lines
