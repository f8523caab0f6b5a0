"""The release report: one HTML page per promotion (a model card), `reports/model-card.html`.

A release manager reads what runs where and why it was allowed: lineage (commit, data hash,
MLflow run, model version, bento and image digests), the metrics against the champion the gate
compared on the same test data, every gate check, and links to the full deepchecks reports.
It is built from the release record alone, so production and rollback (which never rerun the
pipeline) show the same facts staging saw; the reports themselves are fetched from the MLflow run
when this job does not have them, or else linked in the staging run that built the release.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import jinja2

from ..layout import Layout
from ..thresholds import ChampionGate
from ..tracking import download_run_artifacts, without_credentials
from .records import ReleaseRecord

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CARD = "model-card.html"


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class MetricRow:
    name: str
    value: float
    champion: float | None

    @property
    def change(self) -> float | None:
        return None if self.champion is None else self.value - self.champion

    @property
    def verdict(self) -> str:
        """better, worse or same, read the right way round for error metrics."""
        if self.change is None or abs(self.change) < 5e-5:
            return "" if self.change is None else "same"
        improved = (
            (self.change < 0) if ChampionGate.lower_is_better(self.name) else (self.change > 0)
        )
        return "better" if improved else "worse"


def public_server(tracking_uri: str) -> str | None:
    """The MLflow UI's address when the tracking store is a server; never its credentials."""
    parts = urlsplit(tracking_uri)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def lineage(record: ReleaseRecord, tracking_uri: str) -> list[tuple[str, str, str | None]]:
    """(what, value, link or None) rows, from code to data to run to model to build."""
    server = public_server(tracking_uri)
    repository = record.build_run_url.split("/actions/runs/")[0] if record.build_run_url else ""
    name = quote(record.model_name)
    rows = [
        ("git commit", record.commit, f"{repository}/commit/{record.commit}" if repository else None),
        ("data sha256", record.data_sha256 or "not recorded", None),
        ("MLflow run", record.run_id or "not recorded",
         f"{server}/#/runs/{record.run_id}" if server and record.run_id else None),
        ("model version", f"{record.model_name} version {record.model_version}",
         f"{server}/#/models/{name}/versions/{record.model_version}" if server else None),
        ("bento", f"{record.bento} ({record.digest})", None),
        ("image", f"{record.image}@{record.image_digest}" if record.image_digest
         else "none built: the bento archive is the build", None),
        ("built and tested by", record.build_run_url or "a local run", record.build_run_url or None),
        ("this promotion", record.run_url or f"a local run by {record.actor}", record.run_url or None),
    ]  # fmt: skip
    return rows


def metric_rows(record: ReleaseRecord) -> list[MetricRow]:
    theirs = record.champion.get("metrics", {}) if record.champion else {}
    return [
        MetricRow(name, float(value), theirs.get(name))
        for name, value in sorted(record.metrics.items())
    ]


def fetch_reports(layout: Layout, record: ReleaseRecord, tracking_uri: str) -> str | None:
    """Copy the run's deepchecks reports from MLflow when this job lacks them; says why not."""
    if any(layout.deepchecks.glob("*.html")):
        return None
    if not record.run_id:
        return "the record names no MLflow run"
    try:
        download_run_artifacts(tracking_uri, record.run_id, "reports/deepchecks", layout.reports)
    except Exception as exc:  # the card is still worth having without the full reports
        reason = without_credentials(str(exc).splitlines()[0][:200])  # MLflow quotes its URI
        return f"MLflow run {record.run_id} is not reachable here ({reason})"
    return None


def report_links(layout: Layout, record: ReleaseRecord) -> list[Link]:
    """Links relative to the card, to every report beside it (as in the uploaded artifact)."""
    links = [
        Link(path.stem.replace("_", " "), f"deepchecks/{path.name}")
        for path in sorted(layout.deepchecks.glob("*.html"))
    ]
    links += [
        Link(path.name, path.name)
        for path in (layout.gates, layout.champion, layout.metrics)
        if path.is_file()
    ]
    return links


def render(record: ReleaseRecord, tracking_uri: str, links: list[Link], notes: list[str]) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    results: list[dict[str, Any]] = record.gates.get("results", [])
    counts = {
        status: sum(1 for check in results if check["status"] == status)
        for status in ("passed", "failed", "not run")
    }
    return environment.get_template("model_card.html.j2").render(
        record=record,
        lineage=lineage(record, tracking_uri),
        metrics=metric_rows(record),
        champion=record.champion,
        results=results,
        counts=counts,
        headline=next((check for check in results if check["suite"] == "Champion"), None),
        links=links,
        notes=notes,
        made_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write(layout: Layout, record: ReleaseRecord, tracking_uri: str, notes: list[str]) -> Path:
    """Write reports/model-card.html (fetching the full reports first where needed)."""
    layout.reports.mkdir(parents=True, exist_ok=True)
    missing = fetch_reports(layout, record, tracking_uri)
    links = report_links(layout, record)
    if missing and record.build_run_url:
        links.append(Link("full reports, in the staging run's artifacts", record.build_run_url))
    if missing:
        notes = [*notes, f"full reports not attached: {missing}"]
    path = layout.reports / CARD
    path.write_text(render(record, tracking_uri, links, notes), encoding="utf-8")
    return path


def markdown(record: ReleaseRecord, tracking_uri: str) -> str:
    """The card's lineage and metrics (against the champion it was compared with) as Markdown,
    for an issue or a job summary; the HTML page keeps the full reports."""
    lines = [f"## Model card: {record.version}", "", "| | |", "|---|---|"]
    for what, value, link in lineage(record, tracking_uri):
        lines.append(f"| {what} | {f'[{value}]({link})' if link else value} |")
    champion = record.champion.get("version") if record.champion else None
    against = f"champion (version {champion})" if champion else "champion"
    lines += ["", f"| metric | this model | {against} | |", "|---|---:|---:|---|"]
    for row in metric_rows(record):
        theirs = "-" if row.champion is None else f"{row.champion:.4f}"
        lines.append(f"| {row.name} | {row.value:.4f} | {theirs} | {row.verdict} |")
    if not record.champion:
        lines += [
            "",
            "No champion to compare with: the first model passed on the metric floors alone.",
        ]
    return "\n".join(lines)
