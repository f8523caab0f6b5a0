"""Names in the BentoML store: derived from the package, so code and bento agree without config."""

from pathlib import Path

PACKAGE = __name__.rpartition(".")[0]
BENTO_NAME = PACKAGE.replace("_", "-")
BENTO_MODEL_NAME = PACKAGE.replace("_", "-") + "-model"
COMPILED_OBJECT = "compiled_scorer"  # the model as ONNX, among the BentoML model's custom objects
SERVICE = f"{PACKAGE}.service:Predictor"
# The bento is built from the source that runs (src/ of an editable install), pinned by its lock.
SOURCE_DIR = Path(__file__).resolve().parents[1]
RUNTIME_LOCK = SOURCE_DIR.parent / "requirements.lock"
