"""The release report (model card): the facts a release manager needs, safe to open, and links
that resolve, whether the job that writes it ran the pipeline (staging) or not (production)."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

# Trailing commas keep these imports split, so ruff formats them the same for any package name.
from {{ cookiecutter.package_name }}.layout import (
    Layout,
)
from {{ cookiecutter.package_name }}.release import (
    model_card,
)
from {{ cookiecutter.package_name }}.release.records import (
    ReleaseRecord,
)

RUN_URL = "https://github.com/acme/churn/actions/runs/42"
FIELDS = ("suite", "check", "condition", "status", "details")
CHECKS = [
    ("Data Integrity", "Data Duplicates", "ratio <= 5%", "passed", "Found 0% duplicate data"),
    ("Model Floor", "rmse", "rmse <= 3", "not run", "<script>alert(1)</script>"),
    ("Champion", "roc_auc", "no worse by 0.01", "passed", "roc_auc 0.9100 against 0.9000"),
]
CHAMPION = {"roc_auc": 0.90, "rmse": 2.0, "f1": 0.8}


def record(**changes: object) -> ReleaseRecord:
    base = {
        "environment": "production",
        "version": "v1.2.0",
        "commit": "c" * 40,
        "model_name": "churn",
        "model_version": 7,
        "bento": "churn:abc",
        "image": "ghcr.io/acme/churn",
        "digest": "sha256:" + "b" * 64,
        "image_digest": "sha256:" + "d" * 64,
        "gates_passed": True,
        "gates": {
            "failed": [],
            "checks": 3,
            "results": [dict(zip(FIELDS, check, strict=True)) for check in CHECKS],
        },
        "metrics": {"roc_auc": 0.91, "rmse": 2.5, "f1": 0.8},
        "champion": {"version": 6, "alias": "production", "metrics": CHAMPION},
        "run_id": "0123456789abcdef",
        "data_sha256": "e" * 64,
        "build_run_url": RUN_URL,
        "run_url": "https://github.com/acme/churn/actions/runs/43",
        "actor": "release-manager",
        "previous_version": "v1.1.0",
    }
    return ReleaseRecord(**{**base, **changes})


def page(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def rows(soup: BeautifulSoup, heading: str) -> list[list[str]]:
    table = soup.find("h2", string=heading).find_next("table")
    return [[cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])]
            for tr in table.find_all("tr")]  # fmt: skip


def with_reports(root: Path) -> Layout:
    layout = Layout(root)
    layout.deepchecks.mkdir(parents=True)
    for name in ("data_integrity", "model_evaluation"):
        (layout.deepchecks / f"{name}.html").write_text("<html></html>", encoding="utf-8")
    layout.gates.write_text("{}", encoding="utf-8")
    return layout


def test_card_shows_lineage_metrics_against_champion_and_every_check(tmp_path: Path) -> None:
    layout = with_reports(tmp_path)
    path = model_card.write(layout, record(), "https://mlflow.acme.io/", ["promoted unchanged"])
    soup = page(path)
    lineage = dict(row for row in rows(soup, "Lineage"))
    assert lineage["git commit"] == "c" * 40
    assert lineage["data sha256"] == "e" * 64
    assert lineage["MLflow run"] == "0123456789abcdef"
    assert lineage["model version"] == "churn version 7"
    assert ("sha256:" + "d" * 64) in lineage["image"]
    assert lineage["built and tested by"] == RUN_URL
    metrics = {row[0]: row[1:] for row in rows(soup, "Metrics against the champion")[1:]}
    assert metrics["roc_auc"] == ["0.9100", "0.9000", "+0.0100", "better"]
    assert metrics["rmse"] == ["2.5000", "2.0000", "+0.5000", "worse"]  # lower is better
    assert metrics["f1"][-1] == "same"
    checks = rows(soup, "Gate results")[1:]
    assert [(row[0], row[3]) for row in checks] == [
        ("Data Integrity", "passed"),
        ("Model Floor", "not run"),
        ("Champion", "passed"),
    ]
    assert "Against the champion: roc_auc 0.9100 against 0.9000" in soup.get_text(" ")
    assert "promoted unchanged" in soup.get_text(" ")


def test_card_links_resolve_and_point_at_the_build(tmp_path: Path) -> None:
    layout = with_reports(tmp_path)
    soup = page(model_card.write(layout, record(), "https://mlflow.acme.io", []))
    hrefs = [a["href"] for a in soup.find_all("a")]
    local = [href for href in hrefs if not href.startswith("https://")]
    assert sorted(local) == ["deepchecks/data_integrity.html", "deepchecks/model_evaluation.html",
                             "gates.json"]  # fmt: skip
    assert all((layout.reports / href).is_file() for href in local)
    assert "https://github.com/acme/churn/commit/" + "c" * 40 in hrefs
    assert "https://mlflow.acme.io/#/runs/0123456789abcdef" in hrefs
    assert "https://mlflow.acme.io/#/models/churn/versions/7" in hrefs


def test_card_escapes_what_it_shows_and_hides_credentials(tmp_path: Path) -> None:
    layout = with_reports(tmp_path)
    path = model_card.write(layout, record(), "https://bot:s3cret@mlflow.acme.io:8443/ml", [])
    text = path.read_text(encoding="utf-8")
    assert page(path).find("script") is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "s3cret" not in text and "bot:" not in text
    assert "https://mlflow.acme.io:8443/ml/#/runs/0123456789abcdef" in text


def test_first_model_card_says_there_was_no_champion(tmp_path: Path) -> None:
    soup = page(model_card.write(with_reports(tmp_path), record(champion={}), "sqlite:///x.db", []))
    assert "the first model passed on the metric floors alone" in soup.get_text(" ")
    assert rows(soup, "Metrics against the champion")[0] == ["metric", "this model"]
    assert not any("#/runs/" in a["href"] for a in soup.find_all("a"))  # no server, no UI link


@pytest.mark.parametrize("gates", [{}, {"failed": ["X / y: z"], "checks": 4}])
def test_records_without_per_check_results_still_render(tmp_path: Path, gates: dict) -> None:
    soup = page(model_card.write(Layout(tmp_path), record(gates=gates, run_id=""), "x", []))
    assert "predates per-check results" in soup.get_text(" ")
