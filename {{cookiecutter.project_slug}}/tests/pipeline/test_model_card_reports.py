"""The model card's reports, fetched from the MLflow run that gated the model (or said missing)."""

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.release import model_card

from ..unit.test_model_card import RUN_URL, page, record, with_reports


def test_production_card_fetches_the_reports_from_the_mlflow_run(workdir: Path) -> None:
    import mlflow

    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    built = with_reports(workdir / "staging-job")
    # artifacts under the test's folder, not ./mlruns of wherever pytest was started
    experiment = mlflow.create_experiment("cards", artifact_location=str(workdir / "artifacts"))
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_artifacts(str(built.reports), artifact_path="reports")
    layout = Layout(workdir / "production-job")  # nothing here: production reruns nothing
    soup = page(model_card.write(layout, record(run_id=run.info.run_id), uri, []))
    local = [a["href"] for a in soup.find_all("a") if a["href"].startswith("deepchecks/")]
    assert local == ["deepchecks/data_integrity.html", "deepchecks/model_evaluation.html"]
    assert all((layout.reports / href).is_file() for href in local)


def test_unreachable_reports_are_said_and_linked_in_the_staging_run(workdir: Path) -> None:
    layout = Layout(workdir)
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    soup = page(model_card.write(layout, record(run_id="no-such-run"), uri, []))
    text = soup.get_text(" ")
    assert "full reports not attached: MLflow run no-such-run is not reachable here" in text
    link = soup.find("a", string="full reports, in the staging run's artifacts")
    assert link is not None and link["href"] == RUN_URL


def test_an_unreachable_server_never_shows_its_credentials(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")
    uri = "http://bot:s3cret@127.0.0.1:9"  # nothing listens on the discard port
    text = model_card.write(Layout(workdir), record(), uri, []).read_text(encoding="utf-8")
    assert "full reports not attached" in text
    assert "s3cret" not in text and "bot:" not in text
