"""The BentoML service: typed predictions from the model the bento was built with.

The input schema is derived from the training features stored with the model, so a request
with a missing, extra or ill-typed field is refused with 400 and the field's name.
"""

from __future__ import annotations

from typing import Annotated, Any

import bentoml
import mlflow.sklearn
import numpy as np
from bentoml.exceptions import BadInput
from pydantic import BaseModel, ConfigDict, Field, create_model

from .bento_names import BENTO_MODEL_NAME
from .schema import row_model, rows_to_frame

MODEL = bentoml.models.BentoModel(f"{BENTO_MODEL_NAME}:latest")
_stored = MODEL.stored
if _stored is None:
    raise RuntimeError(
        f"BentoML model {BENTO_MODEL_NAME!r} not found: run the 'package' stage first"
    )
METADATA: dict[str, Any] = dict(_stored.info.metadata)
FeatureRow = row_model(METADATA["features"], tuple(METADATA.get("nullable", ())))
MAX_ROWS = 10_000
Rows = Annotated[list[FeatureRow], Field(min_length=1, max_length=MAX_ROWS)]  # type: ignore[valid-type]
# The request body: `rows` and nothing else, so a misspelt or extra key is refused, not ignored.
PredictRequest = create_model(
    "PredictRequest", __config__=ConfigDict(extra="forbid"), rows=(Rows, ...)
)


class Prediction(BaseModel):
    prediction: float | int | str | bool
    probabilities: dict[str, float] | None = None


class PredictResponse(BaseModel):
    model_name: str
    model_version: str
    predictions: list[Prediction]


@bentoml.service(traffic={"timeout": 30}, workers=1)
class Predictor:
    """Serves `POST /predict`; BentoML adds /healthz, /livez and /readyz."""

    model_ref = MODEL

    def __init__(self) -> None:
        self.model = mlflow.sklearn.load_model(self.model_ref.path_of("mlflow_model"))
        self.schema = METADATA["features"]
        self.classes = [str(label) for label in METADATA.get("classes", [])]

    @bentoml.api(input_spec=PredictRequest)
    def predict(self, rows: Rows) -> PredictResponse:
        try:
            frame = rows_to_frame(rows, self.schema)
            predicted = self.model.predict(frame)
            probabilities = (
                self.model.predict_proba(frame) if hasattr(self.model, "predict_proba") else None
            )
        except (ValueError, OverflowError) as error:  # e.g. 1e300 overflows the model's float32
            raise BadInput(f"rows cannot be scored by the model: {error}") from error
        if predicted.dtype.kind == "f" and not np.isfinite(predicted).all():
            bad = [int(i) for i in np.flatnonzero(~np.isfinite(predicted))]
            raise BadInput(f"rows {bad}: values too large to give a finite prediction")
        predictions = []
        for index, value in enumerate(predicted):
            plain = value.item() if hasattr(value, "item") else value
            scores = None
            if probabilities is not None:
                scores = dict(zip(self.classes, map(float, probabilities[index]), strict=True))
            predictions.append(Prediction(prediction=plain, probabilities=scores))
        return PredictResponse(
            model_name=str(METADATA["registered_model"]),
            model_version=str(METADATA["model_version"]),
            predictions=predictions,
        )
