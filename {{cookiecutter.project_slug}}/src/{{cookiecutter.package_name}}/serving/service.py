"""The BentoML service: typed predictions from the model the bento was built with.

- `POST /predict`: one or more rows as JSON, adaptively batched across concurrent requests.
- `POST /predict_batch`: a large JSON list of rows, scored in one call.
- `POST /predict_file`: a CSV or Parquet upload, checked column by column.
- `GET /metadata`: model name, version, alias, commit, data hash and training metrics.
- `/livez` (the process runs) and `/readyz` (the model loaded and scored its own example).

The input schema comes from the training features stored with the model, so a request with a
missing, extra, null or ill-typed field is refused with 400 and the field's name; a body that is
not JSON gets 415. Every answer carries an `X-Request-ID` (request_ids.py); every prediction is
logged with it and any warning, an unseen category (categories.py). Small batches are scored by
the model compiled to ONNX when it agreed at package time (scorers.py): `/metadata` says."""

from __future__ import annotations

import gc
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import bentoml
import pandas as pd
from bentoml.exceptions import BadInput, ServiceUnavailable
from fastapi import FastAPI
from pydantic import ConfigDict, Field, create_model

from ..schema import row_model, rows_to_frame
from . import middleware
from .categories import UnseenCategories
from .compiled import TOLERANCE
from .names import BENTO_MODEL_NAME, BENTO_NAME
from .prediction_log import PredictionLog
from .request_ids import REQUEST_ID, RequestId, tagged
from .responses import BatchResponse, Metadata, Prediction, Scores
from .scorers import CompiledScorer, Routed, SklearnScorer, agree, scorer_state, stored_compiled
from .scoring import score, score_rows
from .table_input import TableError, check_table, read_table

MODEL = bentoml.models.BentoModel(f"{BENTO_MODEL_NAME}:latest")
_stored = MODEL.stored
if _stored is None:
    raise RuntimeError(
        f"BentoML model {BENTO_MODEL_NAME!r} not found: run the 'package' stage first"
    )
METADATA: dict[str, Any] = dict(_stored.info.metadata)
FeatureRow = row_model(METADATA["features"], tuple(METADATA.get("nullable", ())))
TaggedRow = tagged(FeatureRow)  # /predict's rows: requests are merged, each row keeps its id
MAX_ROWS = 1_000  # per /predict request
MAX_BATCH = MAX_ROWS  # adaptive batching merges requests up to this many rows (BentoML: 503 above)
MAX_LATENCY_MS = 5_000  # BentoML answers 503 to a request it cannot serve within this
MAX_BATCH_ROWS = 100_000  # per /predict_batch request or uploaded file
Rows = Annotated[list[TaggedRow], Field(min_length=1, max_length=MAX_ROWS)]  # type: ignore[valid-type]
BatchRows = Annotated[list[FeatureRow], Field(min_length=1, max_length=MAX_BATCH_ROWS)]  # type: ignore[valid-type]
STRICT = ConfigDict(extra="forbid")  # a misspelt or extra key is refused, not ignored
PredictRequest = create_model("PredictRequest", __config__=STRICT, rows=(Rows, ...))
BatchRequest = create_model("BatchRequest", __config__=STRICT, rows=(BatchRows, ...))


# Only /metadata: the Swagger page is BentoML's at `/`, offline (FastAPI's /docs needs a CDN).
api = FastAPI(title=BENTO_NAME, docs_url=None, redoc_url=None, openapi_url=None)


# The prediction and probe paths: `/predict` covers `/predict_batch` and `/predict_file` too
# (both settings match prefixes); `/metadata` and `/docs.json` stay logged and traced.
QUIET_PATHS = ["/predict", "/metrics", "/healthz", "/livez", "/readyz"]
# Every prediction is in the prediction log: an access-log line each cost 1/8 of the throughput.
ACCESS_LOG = {"skip_paths": QUIET_PATHS}
# Tracing samples nothing unless configured, yet its middleware still opened a span for every
# request: a fifth of the single-row throughput. To trace predictions, set the service's
# `tracing.excluded_urls` (and an exporter) in a BentoML configuration file.
UNTRACED = {"excluded_urls": QUIET_PATHS}


@bentoml.service(
    traffic={"timeout": 60}, workers=1, logging={"access": ACCESS_LOG}, tracing=UNTRACED
)
@bentoml.asgi_app(api)
class Predictor:
    """Loads the model once; every endpoint answers from it."""

    model_ref = MODEL

    def __init__(self) -> None:
        self.schema: dict[str, str] = METADATA["features"]
        self.nullable = set(METADATA.get("nullable", ()))
        self.ignored = frozenset(METADATA.get("ignored_columns", ()))
        self.unseen = UnseenCategories(METADATA.get("categories", {}))
        self.classes = [str(label) for label in METADATA.get("classes", [])]
        self.version = str(METADATA["model_version"])
        self.log = PredictionLog.from_environment()
        _SERVING[:] = [self]  # where this process's refusals are logged
        self.model: Any = None
        self.scorer: Routed | None = None
        self.load_error: str | None = None
        self.compiled_error: str | None = None
        try:  # a model that cannot load or score leaves the service alive but not ready
            import mlflow.sklearn

            self.model = mlflow.sklearn.load_model(self.model_ref.path_of("mlflow_model"))
            sklearn, example = SklearnScorer(self.model), self._example()
            self.scorer = Routed(sklearn, self._compiled(sklearn, example))
            score(self.scorer, example)
        except Exception as exc:
            self.model, self.load_error = None, f"{type(exc).__name__}: {exc}"[:500]
        # The libraries loaded above leave ~250k long-lived objects; left to the collector,
        # every full collection walks them all, which doubled the time of a large batch.
        gc.freeze()

    @bentoml.on_shutdown
    def close_log(self) -> None:
        """Write the log's buffered rows (Parquet parts) before the server exits."""
        self.log.close()

    def __is_ready__(self) -> bool:
        return self.model is not None

    def _example(self) -> pd.DataFrame:
        from mlflow.models import Model

        path = self.model_ref.path_of("mlflow_model")
        return pd.DataFrame(Model.load(path).load_input_example(path))[list(self.schema)]

    def _compiled(self, sklearn: SklearnScorer, example: pd.DataFrame) -> CompiledScorer | None:
        """The bento's compiled copy, if it loads here and still gives the model's answers on
        its example (a different onnxruntime would be caught here); else scikit-learn alone."""
        try:
            compiled = stored_compiled(_stored, sklearn)
            if compiled is None:
                return None
            same, worst = agree(sklearn(example), compiled(example), TOLERANCE)
        except Exception as exc:
            self.compiled_error = f"{type(exc).__name__}: {exc}"[:300]
            return None
        if not same:
            self.compiled_error = f"its answers differ from the model's by up to {worst:.3g}"
            return None
        return compiled

    def _require_model(self) -> None:
        if self.model is None:
            raise ServiceUnavailable(f"the model did not load: {self.load_error}")

    def _logged(self, frame: pd.DataFrame, scores: Scores, request_ids: Any) -> Scores:
        """Warn of unseen categories, then hand the batch to the prediction log (its table is
        built and written off the request's path)."""
        scores.warnings = self.unseen.warnings(frame)
        self.log.record(self.version, frame, partial(scores.columns, self.classes), request_ids)
        return scores

    @bentoml.api(
        input_spec=PredictRequest,
        batchable=True,
        max_batch_size=MAX_BATCH,
        max_latency_ms=MAX_LATENCY_MS,
    )
    def predict(self, rows: Rows) -> list[Prediction]:
        """One prediction per row, in order; concurrent requests are scored together."""
        self._require_model()
        frame = rows_to_frame(rows, self.schema)
        ids = [row._request_id for row in rows]
        scores = self._logged(frame, score_rows(self.scorer, frame), ids)
        probabilities = scores.probabilities or [None] * len(scores.predictions)
        return [
            Prediction(
                prediction=value,
                probabilities=None if row is None or index in scores.errors
                else dict(zip(self.classes, row, strict=True)),
                model_version=self.version,
                error=scores.errors.get(index),
                warning=scores.warnings.get(index),
            )
            for index, (value, row) in enumerate(zip(scores.predictions, probabilities, strict=True))
        ]  # fmt: skip

    @bentoml.api(input_spec=BatchRequest)
    def predict_batch(self, rows: BatchRows) -> BatchResponse:
        """Up to 100,000 rows in one request, scored in one call."""
        self._require_model()
        return self._batch(rows_to_frame(rows, self.schema))

    @bentoml.api
    def predict_file(self, file: Path) -> BatchResponse:
        """A CSV (header row, one column per feature) or Parquet file of up to 100,000 rows."""
        self._require_model()
        try:
            frame = check_table(
                read_table(file, MAX_BATCH_ROWS), self.schema, self.nullable, self.ignored
            )
        except TableError as error:
            raise BadInput(str(error)) from error
        return self._batch(frame)

    def _batch(self, frame: pd.DataFrame) -> BatchResponse:
        request = REQUEST_ID.get()
        scores = self._logged(frame, score_rows(self.scorer, frame), request)
        probabilities = scores.probabilities
        if probabilities is not None and scores.errors:  # JSON has no NaN: an error row gets []
            probabilities = [
                [] if i in scores.errors else row for i, row in enumerate(probabilities)
            ]
        # built from the model's own output, so pydantic's per-item checks (half the time of a
        # 10,000-row answer) are skipped; the fuzz test holds the answers to the schema
        return BatchResponse.model_construct(
            model_name=str(METADATA["registered_model"]),
            model_version=self.version,
            request_id=request.id if request else "",
            rows=len(scores.predictions),
            classes=self.classes if probabilities is not None else [],
            predictions=scores.predictions,
            probabilities=probabilities or [],
            errors={str(index): why for index, why in scores.errors.items()},
            warnings={str(index): why for index, why in scores.warnings.items()},
        )

    @api.get("/metadata")
    def metadata(self) -> Metadata:
        """What is served: enough to trace any prediction back to its commit, data and run."""
        return Metadata(
            model_name=str(METADATA["registered_model"]),
            model_version=self.version,
            alias=str(METADATA.get("alias", "")),
            git_commit=str(METADATA.get("git_commit", "")),
            data_sha256=str(METADATA.get("data_sha256", "")),
            mlflow_run_id=str(METADATA.get("mlflow_run_id", "")),
            task=str(METADATA.get("task", "")),
            features=self.schema,
            ignored_columns=sorted(self.ignored),
            classes=self.classes,
            metrics={k: float(v) for k, v in METADATA.get("metrics", {}).items()},
            ready=self.model is not None,
            load_error=self.load_error,
            scorer=scorer_state(self.scorer, self.compiled_error, METADATA.get("scorer", {})),
            prediction_log=self.log.status(),
        )  # fmt: skip


_SERVING: list[Predictor] = []  # this process's service (one per worker process)


def _refused(request: RequestId, reason: str) -> None:
    for service in _SERVING:
        service.log.refused(service.version, request, reason)


# BentoML 1.4 rebuilds an output's JSON schema on every response just to learn its media type
# (about 4% of a request); naming the type up front skips that.
for _method in Predictor.apis.values():
    _method.output_spec.media_type = "application/json"
middleware.install(Predictor, _refused, dict(METADATA.get("api_info", {})))
