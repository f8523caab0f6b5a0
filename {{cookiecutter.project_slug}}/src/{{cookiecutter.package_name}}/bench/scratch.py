"""A scratch project for a benchmark: the project's params with a store of its own, trained
and registered once (not timed), its version 1 at @production."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..config import Params, load_params
from ..layout import Layout
from ..pipeline import run_stage
from ..stages import STAGES
from ..tracking import client

# every stage up to a registered model, but the profile (not needed) and the bento (slow)
TO_REGISTER = tuple(stage for stage in STAGES if stage not in {"analyse", "package"})


def registered_project(params: Params, root: Path) -> Params:
    raw = params.model_dump(mode="json")
    raw["mlflow"]["tracking_uri"] = f"sqlite:///{root / 'mlflow.db'}"
    raw["validation"]["contract"] = "contract.json"
    (root / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    scratch = load_params(root / "params.yaml")
    for stage in TO_REGISTER:
        run_stage(stage, scratch, Layout(root))
    client(scratch, root).set_registered_model_alias(scratch.registry.model_name, "production", "1")
    return scratch
