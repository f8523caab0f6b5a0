import joblib
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.layout import Layout
from {{ cookiecutter.package_name }}.metrics import score
from {{ cookiecutter.package_name }}.pipeline import run_pipeline, run_stage
from {{ cookiecutter.package_name }}.stages import train

from ..conftest import CLASSIFICATION, write_params


@pytest.fixture
def fitted(prepared):
    """A model trained and evaluated on the sample, without the gates (no deepchecks here)."""
    params, layout = prepared
    for stage in ("train", "evaluate"):
        run_stage(stage, params, layout)
    return params, layout


def test_trained_pipeline_predicts_test_rows(fitted) -> None:
    params, layout = fitted
    model = joblib.load(layout.model)
    test = pd.read_parquet(layout.test_data)
    predictions = model.predict(test.drop(columns=[params.data.target]))
    assert len(predictions) == len(test)


def test_metrics_fit_the_task(fitted) -> None:
    _, layout = fitted
    scores = pd.read_json(layout.metrics, typ="series").to_dict()
    if CLASSIFICATION:
        assert set(scores) == {
            "accuracy",
            "balanced_accuracy",
            "f1",
            "precision",
            "recall",
            "roc_auc",
        }
        assert scores["roc_auc"] > 0.9
    else:
        assert set(scores) == {"r2", "rmse", "mae"}
        assert scores["r2"] > 0.3


def test_categorical_features_are_encoded(workdir) -> None:
    params = load_params(write_params(workdir))
    frame = pd.DataFrame(
        {
            "colour": ["red", "blue", "green", "red"] * 15,
            "size": [1.0, 2.0, 3.0, 4.0] * 15,
            "target": [0, 1, 1, 0] * 15,
        }
    )
    model, schema = train.fit(params, frame)
    assert schema == {"colour": "str", "size": "float"}
    unseen = pd.DataFrame({"colour": ["purple"], "size": [2.0]})
    assert len(model.predict(unseen)) == 1


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"bogus_knob": 3}, r"model\.params\.bogus_knob: not a parameter of RandomForest\w+ "),
        ({"n_estimator": 10}, r"model\.params\.n_estimator: .*did you mean 'n_estimators'\?"),
        ({"n_estimators": "ten"}, r"model\.params: The 'n_estimators' parameter .* must be"),
        ({"max_depth": -1}, r"model\.params: The 'max_depth' parameter .* range"),
    ],
)
def test_a_bad_hyperparameter_stops_the_pipeline_before_its_first_stage(
    workdir, options: dict, said: str
) -> None:
    """Names, types and ranges are checked against the estimator before extract runs, not at
    train after the data gate; the same line from the train stage's own build."""
    path = write_params(workdir, **{"model.estimator": "random_forest", "model.params": options})
    params, layout = load_params(path), Layout(workdir)
    with pytest.raises(PipelineError, match=f"before its first stage: {said}"):
        run_pipeline(params, layout, lambda _line: None)
    assert not layout.raw_data.exists()  # nothing ran
    if "not a parameter" in said or "did you mean" in said:
        with pytest.raises(PipelineError, match=said):
            train.build_estimator(params)


def test_evaluate_scores_a_given_model(fitted) -> None:
    params, layout = fitted
    model = joblib.load(layout.model)
    scores = score(params.task, params.data.target, model, pd.read_parquet(layout.test_data))
    assert all(isinstance(value, float) for value in scores.values())
