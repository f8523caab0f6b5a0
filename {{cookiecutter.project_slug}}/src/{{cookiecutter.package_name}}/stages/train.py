"""The train stage: a scikit-learn Pipeline (preprocessing + estimator) built from params.yaml."""

from __future__ import annotations

import difflib
import inspect
from typing import Any

import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..config import Params
from ..errors import PipelineError
from ..estimators import SEEDED, estimator_class
from ..layout import Layout, atomic_output, require, write_json
from ..metrics import features_and_label
from ..schema import categorical_columns, infer_schema
from ..serving.categories import known_categories


def build_estimator(params: Params) -> Any:
    cls = estimator_class(params.task, params.model.estimator)
    options = dict(params.model.params)
    known = [name for name in inspect.signature(cls).parameters if name != "self"]
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"it takes: {', '.join(known)}"
            raise PipelineError(
                f"model.params.{name}: not a parameter of {cls.__name__} "
                f"(model.estimator {params.model.estimator!r}); {hint}"
            )
    if params.model.estimator in SEEDED:
        options.setdefault("random_state", params.model.seed)
    try:
        return cls(**options)
    except TypeError as exc:
        raise PipelineError(f"model.params: {exc}") from exc


def check_params(params: Params) -> None:
    """model.params against the estimator, names, types and ranges, without fitting: the
    pipeline runs this before its first stage, so a typo is found in seconds, not at train."""
    estimator = build_estimator(params)
    validate = getattr(estimator, "_validate_params", None)  # what fit() checks first
    if validate is not None:
        try:
            validate()
        except (TypeError, ValueError) as exc:
            raise PipelineError(f"model.params: {exc}") from exc


def build_pipeline(params: Params, schema: dict[str, str]) -> Pipeline:
    """Impute and scale numbers, impute and one-hot encode categories, then the estimator."""
    categorical = categorical_columns(schema, params.data.categorical)  # type: ignore[arg-type]
    numeric = [name for name in schema if name not in categorical]
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categories = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    branches = [("numeric", numbers, numeric), ("categorical", categories, categorical)]
    preprocess = ColumnTransformer(
        # an empty branch still costs every prediction a pass (a tenth of a one-row call)
        [branch for branch in branches if branch[2]],
        verbose_feature_names_out=False,
    )
    return Pipeline([("preprocess", preprocess), ("estimator", build_estimator(params))])


def fit(params: Params, train: pd.DataFrame) -> tuple[Pipeline, dict[str, str]]:
    features, label = features_and_label(train, params.data.target)
    schema = infer_schema(features)
    pipeline = build_pipeline(params, schema)
    try:
        pipeline.fit(features, label)
    except ValueError as exc:
        raise PipelineError(f"train: the estimator could not fit the data: {exc}") from exc
    return pipeline, dict(schema)


def run(params: Params, layout: Layout) -> dict[str, Any]:
    train = pd.read_parquet(require(layout.train_data, "prepare"))
    pipeline, schema = fit(params, train)
    with atomic_output(layout.model) as scratch:
        joblib.dump(pipeline, scratch)
    classes = [c.item() if hasattr(c, "item") else c for c in getattr(pipeline, "classes_", [])]
    categorical = categorical_columns(schema, params.data.categorical)  # type: ignore[arg-type]
    write_json(
        layout.feature_schema,
        {
            "features": schema,
            "categorical": categorical,
            "categories": known_categories(train, categorical),  # the service warns of others
            "nullable": [
                str(c) for c in train.columns if c != params.data.target and train[c].isna().any()
            ],
            "target": params.data.target,
            "task": params.task,
            "classes": classes,
        },
    )
    return {"estimator": params.model.estimator, "features": len(schema), "rows": len(train)}
