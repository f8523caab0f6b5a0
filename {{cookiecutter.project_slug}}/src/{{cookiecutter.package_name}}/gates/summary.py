"""The run summary: every gate check and the metrics against the production model, in Markdown
for the GitHub job summary and pull requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..layout import Layout

ICONS = {"passed": "✅ passed", "failed": "❌ failed", "not run": "➖ not run"}


Production = tuple[str | None, dict[str, float]]  # (release version, its metrics)


def production_metrics(layout: Layout, released: Production) -> Production:
    """The champion's metrics on this run's test data (the model gate scored it), or else the
    metrics the production release record holds (its own test data)."""
    compared = _load(layout.champion)
    if compared and compared.get("champion"):
        champion = compared["champion"]
        return f"version {champion['version']}, same test data", champion["metrics"]
    return released


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def markdown(layout: Layout, released: Production = (None, {})) -> str:
    """The summary; `released` is what the production release record holds, if any."""
    gates = _load(layout.gates)
    metrics = _load(layout.metrics) or {}
    version, champion = production_metrics(layout, released)
    lines = ["## Model gates", ""]
    if gates is None:
        lines.append("The pipeline stopped before the gates ran (see the log).")
    else:
        verdict = "passed" if gates["passed"] else f"FAILED ({len(gates['failed'])} check(s))"
        lines += [f"**Gate {verdict}**", "", "| suite | check | condition | result | details |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for check in gates["checks"]:
            details = str(check["details"]).replace("|", "\\|").replace("\n", " ")[:160]
            condition = str(check["condition"]).replace("|", "\\|")
            lines.append(
                f"| {check['suite']} | {check['check']} | {condition} | "
                f"{ICONS[check['status']]} | {details} |"
            )
    lines += ["", "## Metrics", ""]
    if not metrics:
        lines.append("No metrics (the pipeline stopped before evaluation).")
    elif version is None:
        lines += ["No production model yet: this would be the first.", "", "| metric | this run |",
                  "|---|---|", *(f"| {k} | {v:.4f} |" for k, v in sorted(metrics.items()))]  # fmt: skip
    else:
        lines += [f"| metric | this run | production ({version}) | change |", "|---|---|---|---|"]
        for name, value in sorted(metrics.items()):
            base = champion.get(name)
            delta = "" if base is None else f"{value - base:+.4f}"
            shown = "" if base is None else f"{base:.4f}"
            lines.append(f"| {name} | {value:.4f} | {shown} | {delta} |")
    return "\n".join(lines) + "\n"
