"""What turns a frame of features into predictions: scikit-learn, or its compiled copy.

scikit-learn spends milliseconds of fixed cost on every call (input checks, the
ColumnTransformer on a frame, one joblib dispatch per tree): most of a one-row request. The
compiled copy (ONNX, made and checked at package time by compile_model.py) scores a small
batch in a tenth of a millisecond, but scikit-learn's vectorised trees are faster on large
tables. So `Routed` sends batches of up to `COMPILED_MAX_ROWS` rows to the compiled copy and
larger ones, or any batch it fails on, to scikit-learn.

Each scorer returns (predicted values, class probabilities or None), the service's one pass.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from .names import COMPILED_OBJECT

# Below this, the compiled copy is faster (1,000 rows: 4.6 against 10 ms for the default
# forest); above it, scikit-learn (10,000 rows: 257k against 202k rows/s).
COMPILED_MAX_ROWS = 2_000
PROBABILITY_DECIMALS = 6
CLOSE_CALL = 1e-4  # two classes this close in probability: scikit-learn decides


class Scorer(Protocol):
    def __call__(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]: ...


class SklearnScorer:
    """The trained pipeline itself: the class is the likeliest one, from one pass."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.classifier = hasattr(model, "predict_proba")
        self.classes = np.asarray(getattr(model, "classes_", []))

    def __call__(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        if self.classifier:
            probabilities = self.model.predict_proba(frame)
            return self.classes[probabilities.argmax(axis=1)], probabilities
        return np.asarray(self.model.predict(frame)), None


class CompiledScorer:
    """The pipeline compiled to ONNX, run by onnxruntime on one thread (the service's batches
    are small, and the event loop needs the other core).

    Its probabilities hold about six decimals, so a row whose two likeliest classes are closer
    than `CLOSE_CALL` is a coin toss for it: such rows are scored again by `exact`, the
    scikit-learn pipeline, so that no class differs from the model's.
    """

    def __init__(self, onnx: bytes, columns: list[str], exact: SklearnScorer) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        self.session = onnxruntime.InferenceSession(
            onnx, options, providers=["CPUExecutionProvider"]
        )
        self.inputs = [node.name for node in self.session.get_inputs()]  # one per column
        if len(self.inputs) != len(columns):
            raise ValueError(
                f"the compiled model takes {len(self.inputs)} inputs, not {len(columns)}"
            )
        self.columns, self.exact = columns, exact
        outputs = [node.name for node in self.session.get_outputs()]
        self.output = "probabilities" if exact.classifier else outputs[0]

    def __call__(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        if list(frame.columns) != self.columns:
            frame = frame[self.columns]
        values = frame.to_numpy(dtype=np.float64, na_value=np.nan)  # column-major: slices are views
        feed = {name: values[:, index : index + 1] for index, name in enumerate(self.inputs)}
        (output,) = self.session.run([self.output], feed)
        if not self.exact.classifier:  # float32 as the float64 its shortest form reads as
            values = output.reshape(-1)
            if values.dtype == np.float32:
                values = values.astype(str).astype(np.float64)
            return values, None
        probabilities = output.astype(np.float64)
        if output.dtype == np.float32:  # 0.020000637 for the forest's 0.02: six decimals hold
            probabilities = np.round(probabilities, PROBABILITY_DECIMALS)
        predicted = self.exact.classes[probabilities.argmax(axis=1)]
        if probabilities.shape[1] > 1:
            top_two = np.sort(probabilities, axis=1)[:, -2:]
            close = np.flatnonzero(top_two[:, 1] - top_two[:, 0] < CLOSE_CALL)
            if close.size:
                predicted[close], probabilities[close] = self.exact(frame.iloc[close])
        return predicted, probabilities


def stored_compiled(stored: Any, exact: SklearnScorer) -> CompiledScorer | None:
    """The compiled copy a BentoML model carries (the package stage put it there), if any."""
    onnx = stored.custom_objects.get(COMPILED_OBJECT)
    return CompiledScorer(onnx, list(stored.info.metadata["features"]), exact) if onnx else None


class Routed:
    """Small batches to the compiled copy, large ones (and any it fails on) to scikit-learn."""

    def __init__(self, sklearn: SklearnScorer, compiled: CompiledScorer | None) -> None:
        self.sklearn, self.compiled = sklearn, compiled
        self.compiled_failures = 0
        self.last_failure: str | None = None

    def __call__(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        if self.compiled is not None and len(frame) <= COMPILED_MAX_ROWS:
            try:
                return self.compiled(frame)
            except Exception as exc:  # scikit-learn answers, or names the row it cannot score
                self.compiled_failures += 1
                self.last_failure = f"{type(exc).__name__}: {exc}"[:300]
        return self.sklearn(frame)

    def describe(self) -> str:
        if self.compiled is None:
            return "scikit-learn"
        return f"onnxruntime for batches of up to {COMPILED_MAX_ROWS:,} rows, scikit-learn above"


def scorer_state(
    scorer: Routed | None, compiled_error: str | None, packaged: dict[str, Any]
) -> dict[str, Any]:
    """For /metadata: what scores requests here, and what packaging found when it compiled."""
    return {
        "serving": scorer.describe() if scorer else "none",
        "compiled_not_used": compiled_error,
        "compiled_failures": scorer.compiled_failures if scorer else 0,
        "last_compiled_failure": scorer.last_failure if scorer else None,
        "packaged": packaged,
    }


def agree(
    reference: tuple[np.ndarray, np.ndarray | None],
    candidate: tuple[np.ndarray, np.ndarray | None],
    tolerance: float,
) -> tuple[bool, float]:
    """Whether two scorers gave the same answers: identical classes, and every probability (or
    regression value) within `tolerance`, relative to the value's size above 1."""
    (expected, expected_p), (got, got_p) = reference, candidate
    if expected_p is not None:
        if got_p is None or got_p.shape != expected_p.shape:
            return False, float("inf")
        if not np.array_equal(expected, got):
            return False, float(np.abs(got_p - expected_p).max())
        expected, got = expected_p, got_p
    expected, got = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
    if expected.shape != got.shape:
        return False, float("inf")
    difference = np.abs(got - expected) / np.maximum(1.0, np.abs(expected))
    worst = float(np.nanmax(difference)) if difference.size else 0.0
    same_gaps = bool(np.array_equal(np.isnan(expected), np.isnan(got)))
    return same_gaps and worst <= tolerance, worst
