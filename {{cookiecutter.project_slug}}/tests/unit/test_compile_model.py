"""The compiled copy of the model: kept only when it gives the model's answers, else refused."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.bench.serve import (
    in_process,
)
from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.serving import compiled as compile_module
from {{ cookiecutter.package_name }}.serving.compiled import (
    TOLERANCE,
    compile_pipeline,
)
from {{ cookiecutter.package_name }}.serving.scorers import (
    COMPILED_MAX_ROWS,
    CompiledScorer,
    Routed,
    SklearnScorer,
    agree,
)
from {{ cookiecutter.package_name }}.stages import train

from ..conftest import CLASSIFICATION, write_params


def numbers(rows: int, seed: int, gaps: bool = True) -> pd.DataFrame:
    """Four numeric features on different scales (the scaler matters), one with gaps, one int."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "area": rng.normal(650, 350, rows),
            "ratio": rng.normal(0.1, 0.03, rows),
            "count": rng.integers(0, 40, rows),
            "with gaps": rng.normal(5, 2, rows),
        }
    )
    if gaps:
        frame.loc[rng.random(rows) < 0.2, "with gaps"] = np.nan
    return frame


def fitted(workdir, features: pd.DataFrame, **overrides: object):
    params = load_params(write_params(workdir, **overrides))
    signal = features["area"] / 350 + features["ratio"] * 10 + features["count"] / 20
    label = (signal > signal.median()).astype(int) if CLASSIFICATION else signal * 3.5 + 100
    model, _ = train.fit(params, features.assign(**{params.data.target: label}))
    return model


FOREST = {"model.estimator": "random_forest", "model.params": {"n_estimators": 50, "max_depth": 8}}


def test_a_forest_compiles_and_gives_its_answers_on_new_rows(workdir) -> None:
    model = fitted(workdir, numbers(400, seed=0), **FOREST)
    compiled = compile_pipeline(model, numbers(150, seed=1), nullable=["with gaps"])
    assert compiled.onnx is not None, compiled.report
    assert compiled.report["form"] == "float64, float32 into the estimator"
    assert compiled.report["parity_rows"] == 300  # the rows, then again with the gaps emptied
    assert compiled.report["max_difference"] <= TOLERANCE
    assert compiled.summary().startswith("onnxruntime")

    reference = SklearnScorer(model)
    scorer = CompiledScorer(compiled.onnx, list(numbers(1, 0).columns), reference)
    unseen = numbers(500, seed=2)
    same, worst = agree(reference(unseen), scorer(unseen), TOLERANCE)
    assert same, worst
    one = unseen.head(1)
    assert agree(reference(one), scorer(one), TOLERANCE)[0]


def test_a_copy_whose_answers_differ_is_refused(workdir, monkeypatch) -> None:
    """float32 scaling flips trees: the parity check must catch it, not serve it."""
    monkeypatch.setattr(compile_module, "FLOAT32_ESTIMATOR", (False,))
    model = fitted(workdir, numbers(400, seed=0), **FOREST)
    compiled = compile_pipeline(model, numbers(400, seed=3), nullable=["with gaps"])
    assert compiled.onnx is None and compiled.report["why"].startswith("float64: ")
    if CLASSIFICATION:  # onnxruntime runs the float64 regressor's trees on float32 output only
        assert "answers differ by up to" in compiled.report["why"]
    assert compiled.summary().startswith("scikit-learn (not compiled:")


def test_a_linear_model_compiles_exactly_in_float64(workdir) -> None:
    estimator = "logistic_regression" if CLASSIFICATION else "ridge"
    model = fitted(
        workdir, numbers(400, seed=0), **{"model.estimator": estimator, "model.params": {}}
    )
    compiled = compile_pipeline(model, numbers(150, seed=1), nullable=["with gaps"])
    assert compiled.report["form"] == "float64", compiled.report
    assert compiled.report["max_difference"] < 1e-9


def test_text_columns_are_left_to_scikit_learn(workdir) -> None:
    features = numbers(200, seed=0).assign(colour=["red", "blue", "green", "red"] * 50)
    compiled = compile_pipeline(fitted(workdir, features, **FOREST), features, nullable=[])
    assert compiled.onnx is None and "colour" in compiled.report["why"]


def test_a_step_skl2onnx_cannot_convert_is_left_to_scikit_learn(workdir) -> None:
    params = {"model.estimator": "hist_gradient_boosting", "model.params": {"max_iter": 5}}
    features = numbers(200, seed=0)
    compiled = compile_pipeline(fitted(workdir, features, **params), features, nullable=[])
    if compiled.onnx is not None:  # a newer skl2onnx may convert it: then it must agree
        assert compiled.report["max_difference"] <= TOLERANCE
    else:
        assert compiled.report["why"].startswith("float64: ")


def test_small_batches_go_to_the_compiled_copy_large_ones_and_failures_to_scikit_learn(
    workdir,
) -> None:
    model = fitted(workdir, numbers(400, seed=0), **FOREST)
    calls: list[int] = []

    def compiled(frame: pd.DataFrame):
        calls.append(len(frame))
        if frame["count"].iloc[0] < 0:
            raise RuntimeError("onnxruntime refused the input")
        return SklearnScorer(model)(frame)

    routed = Routed(SklearnScorer(model), compiled)  # type: ignore[arg-type]
    routed(numbers(COMPILED_MAX_ROWS, seed=4))
    routed(numbers(COMPILED_MAX_ROWS + 1, seed=4))
    assert calls == [COMPILED_MAX_ROWS]
    failing = numbers(3, seed=5).assign(count=-1)
    predicted, _ = routed(failing)  # answered by scikit-learn
    assert len(predicted) == 3
    assert routed.compiled_failures == 1 and "refused" in (routed.last_failure or "")


def test_the_serving_benchmark_times_the_scorer_the_service_picks_for_each_size(workdir) -> None:
    model = fitted(workdir, numbers(400, seed=0), **FOREST)
    reference = SklearnScorer(model)
    compiled = compile_pipeline(model, numbers(100, seed=1), nullable=[]).onnx
    assert compiled is not None
    columns = list(numbers(1, 0).columns)
    routed = Routed(reference, CompiledScorer(compiled, columns, reference))
    results = in_process(routed, numbers(3_000, seed=6), seconds=0.2)
    assert [(r.target, r.rows_per_request) for r in results] == [
        ("in-process predict", 3_000),  # scikit-learn: above COMPILED_MAX_ROWS
        ("in-process predict", 1),  # the compiled copy
        ("in-process scikit-learn", 1),  # beside it, for comparison
    ]
    assert all(r.requests > 0 and r.p99_ms >= r.p50_ms > 0 for r in results)


@pytest.mark.parametrize("shape", ["fewer rows", "other classes"])
def test_agree_tells_different_answers_apart(shape: str) -> None:
    reference = (np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]]))
    if shape == "fewer rows":
        candidate = (reference[0][:2], reference[1][:2])
    else:
        candidate = (np.array([0, 1, 0]), reference[1])
    assert agree(reference, candidate, TOLERANCE)[0] is False
    assert agree(reference, reference, TOLERANCE) == (True, 0.0)
