"""Compile the gated pipeline to ONNX for fast small batches, and keep it only if it agrees.

The served answers must be the validated model's answers, so the compiled copy is scored
against scikit-learn on the test split, and on the same rows with every nullable column
emptied (the imputer's path). It is kept only if the classes are identical and every
probability or value agrees to `TOLERANCE`; otherwise, or when skl2onnx cannot convert the
pipeline, the service scores with scikit-learn alone and the package record says why.

Two forms are tried, in order:
- float64 throughout: exact for linear models;
- float64 preprocessing, then float32 into the estimator: scikit-learn's trees cast their
  input to float32 after the scaler, so computing the scaler in float32 (skl2onnx's default)
  moves values across split thresholds and flips whole trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .scorers import CompiledScorer, SklearnScorer, agree

TOLERANCE = 1e-5  # float32 trees carry about 7 significant digits
OPSETS = {"": 17, "ai.onnx.ml": 3}
FLOAT32_ESTIMATOR = (False, True)  # the forms tried, in order (module docstring)


@dataclass
class Compilation:
    onnx: bytes | None
    report: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the stage's output: which scorer takes small batches, and why."""
        if self.onnx is None:
            return f"scikit-learn (not compiled: {self.report['why']})"
        r = self.report
        return f"onnxruntime (agrees on {r['parity_rows']} rows to {r['max_difference']:.2g})"


def parity_rows(features: pd.DataFrame, nullable: list[str]) -> pd.DataFrame:
    """The test rows, then the same rows with every nullable column emptied."""
    emptied = features.copy()
    for column in nullable:
        emptied[column] = np.nan
    return pd.concat([features, emptied], ignore_index=True) if nullable else features


def compile_pipeline(pipeline: Any, features: pd.DataFrame, nullable: list[str]) -> Compilation:
    """The first ONNX form of `pipeline` that gives its answers on the parity rows, or None
    and the reason."""
    text = [str(c) for c, kind in features.dtypes.items() if not _numeric(kind)]
    if text:
        return _refused(f"text columns are scored by scikit-learn only: {', '.join(text[:5])}")
    try:
        import onnxruntime
        import skl2onnx
    except ImportError as exc:
        return _refused(f"{exc.name} is not installed")
    rows = parity_rows(features, nullable)
    reference = SklearnScorer(pipeline)
    expected = reference(rows)
    columns = [str(c) for c in features.columns]
    reasons: list[str] = []
    for float32_estimator in FLOAT32_ESTIMATOR:
        form = "float64, float32 into the estimator" if float32_estimator else "float64"
        try:
            onnx = _convert(pipeline, columns, float32_estimator)
            same, worst = agree(expected, CompiledScorer(onnx, columns, reference)(rows), TOLERANCE)
        except Exception as exc:  # an unsupported step: skl2onnx and onnxruntime say which
            first_line = next(iter(str(exc).splitlines()), "")[:200]
            reasons.append(f"{form}: {type(exc).__name__}: {first_line}")
            continue
        if same:
            return Compilation(onnx, {
                "compiled": True, "form": form, "parity_rows": len(rows),
                "max_difference": worst, "tolerance": TOLERANCE,
                "onnxruntime": onnxruntime.__version__, "skl2onnx": skl2onnx.__version__,
            })  # fmt: skip
        reasons.append(f"{form}: answers differ by up to {worst:.3g} on {len(rows)} rows")
    return _refused("; ".join(reasons))


def _refused(why: str) -> Compilation:
    return Compilation(None, {"compiled": False, "why": why})


def _numeric(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _convert(pipeline: Any, columns: list[str], float32_estimator: bool) -> bytes:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import DoubleTensorType
    from skl2onnx.sklapi import CastTransformer
    from sklearn.pipeline import Pipeline

    _register_float64_imputer()
    *steps, (name, estimator) = pipeline.steps
    if float32_estimator:
        steps.append(("float32", CastTransformer(dtype=np.float32)))
    options = {id(estimator): {"zipmap": False}} if hasattr(estimator, "predict_proba") else None
    model = to_onnx(
        Pipeline([*steps, (name, estimator)]),
        initial_types=[(column, DoubleTensorType([None, 1])) for column in columns],
        options=options,
        target_opset=OPSETS,
    )
    return bytes(model.SerializeToString())


def _register_float64_imputer() -> None:
    """skl2onnx converts SimpleImputer to ONNX's Imputer, which onnxruntime runs on float32
    only; on float64 input, fill the gaps with IsNaN and Where instead."""
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import DoubleTensorType
    from skl2onnx.operator_converters.common import concatenate_variables
    from skl2onnx.operator_converters.imputer_op import convert_sklearn_imputer
    from skl2onnx.shape_calculators.imputer import calculate_sklearn_imputer_output_shapes
    from sklearn.impute import SimpleImputer

    def convert(scope: Any, operator: Any, container: Any) -> None:
        if not isinstance(operator.inputs[0].type, DoubleTensorType):
            convert_sklearn_imputer(scope, operator, container)
            return
        imputer = operator.raw_operator
        if not (isinstance(imputer.missing_values, float) and np.isnan(imputer.missing_values)):
            raise NotImplementedError(f"missing_values={imputer.missing_values!r}")
        values = concatenate_variables(scope, operator.inputs, container)
        fill = scope.get_unique_variable_name("fill")
        statistics = imputer.statistics_.astype(np.float64)
        container.add_initializer(fill, TensorProto.DOUBLE, [statistics.size], statistics.tolist())
        missing = scope.get_unique_variable_name("missing")
        container.add_node("IsNaN", [values], [missing])
        container.add_node("Where", [missing, fill, values], [operator.outputs[0].full_name])

    update_registered_converter(
        SimpleImputer, "SklearnSimpleImputer", calculate_sklearn_imputer_output_shapes, convert
    )
