"""The test rows a bento's model was checked on, stored with it (stages/package.py).

Smoke tests and benchmarks send these, never what data/prepared/ holds now: that is whatever
the last run wrote, possibly rows a gate has just refused, while the bento serves the model of
the last good run.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..errors import PipelineError
from .names import SAMPLE_OBJECT


def stored_sample(bento: str) -> pd.DataFrame:
    """The sample stored with the bento's model, or a clear refusal."""
    import bentoml
    from bentoml.exceptions import NotFound

    try:
        built = bentoml.get(bento)
        models = [bentoml.models.get(model.tag) for model in built.info.models]
    except NotFound as error:
        raise PipelineError(
            f"{bento} is not in this BentoML store ({error}): run `make pipeline` to build it"
        ) from error
    for model in models:
        sample = model.custom_objects.get(SAMPLE_OBJECT)
        if isinstance(sample, pd.DataFrame) and len(sample):
            return sample
    raise PipelineError(
        f"{bento} carries no test rows of its model (built by an older package stage): "
        "run `make pipeline` to rebuild it"
    )


def sample_records(bento: str, count: int) -> list[dict[str, Any]]:
    """`count` of those rows as a JSON request's records (cycled when the sample is smaller)."""
    sample = stored_sample(bento)
    rows = sample.iloc[[index % len(sample) for index in range(count)]]
    # 15 digits, pandas' most: its default of 10 would send values the model never saw
    return json.loads(rows.to_json(orient="records", double_precision=15))
