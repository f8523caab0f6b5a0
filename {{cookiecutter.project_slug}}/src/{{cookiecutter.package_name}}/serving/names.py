"""Names in the BentoML store: derived from the package, so code and bento agree without config."""

from pathlib import Path

PACKAGE = __name__.split(".")[0]
BENTO_NAME = PACKAGE.replace("_", "-")
BENTO_MODEL_NAME = PACKAGE.replace("_", "-") + "-model"
COMPILED_OBJECT = "compiled_scorer"  # the model as ONNX, among the BentoML model's custom objects
# Held-out rows (features only) the model was tested on, among the same custom objects: what
# smoke tests and benchmarks send, so they measure the served model whatever data/ holds now.
SAMPLE_OBJECT = "served_sample"
SAMPLE_ROWS = 1_000  # at most; the benchmark's uploads draw 10,000 from them with replacement
SERVICE = f"{PACKAGE}.serving.service:Predictor"
# Where the service logs every prediction unless PREDICTION_LOG says otherwise.
DEFAULT_LOG = "prediction-logs/predictions.parquet"
# What the bento carries of the package: the service and the modules it imports, nothing else.
# (tests/pipeline/test_register_package.py checks this against what the service imports)
SERVICE_MODULES = (
    "__init__",
    "schema",
    "serving/__init__",
    "serving/api_docs",
    "serving/categories",
    "serving/compiled",
    "serving/http_errors",
    "serving/json_bodies",
    "serving/log_journal",
    "serving/log_rows",
    "serving/middleware",
    "serving/names",
    "serving/prediction_log",
    "serving/request_ids",
    "serving/responses",
    "serving/scorers",
    "serving/scoring",
    "serving/service",
    "serving/table_input",
)
SERVICE_FILES = tuple(f"{PACKAGE}/{module}.py" for module in SERVICE_MODULES)
# The bento is built from the source that runs (src/ of an editable install), pinned by its lock.
SOURCE_DIR = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = SOURCE_DIR.parent / "requirements.lock"
