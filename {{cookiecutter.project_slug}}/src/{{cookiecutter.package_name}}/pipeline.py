"""The whole pipeline: every stage in order (stages.STAGES), stopping at the first failure."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from .config import Params
from .errors import GateFailedError, PipelineError
from .gates.report import GateReport
from .layout import Layout
from .stages import STAGES
from .tracking import named_failures

Stage = Callable[[Params, Layout], Any]


def stage_function(name: str) -> Stage:
    """The `run` of a stage, its module imported only now (the CLI stays quick to start)."""
    return import_module(f"{__package__}.stages.{name}").run


def run_stage(name: str, params: Params, layout: Layout) -> Any:
    """Run one stage; a failed gate raises, so a gate stage run alone exits non-zero too."""
    with named_failures(params, layout.root):
        result = stage_function(name)(params, layout)
    if isinstance(result, GateReport) and not result.passed:
        raise GateFailedError(
            [check.name for check in result.failed],
            details=[check.details for check in result.failed],
        )
    return result


def run_pipeline(params: Params, layout: Layout, echo: Callable[[str], None]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    total = len(STAGES)
    for index, name in enumerate(STAGES, start=1):
        echo(f"[{index}/{total}] {name}")
        try:
            results[name] = run_stage(name, params, layout)
        except GateFailedError as failure:
            # The failed run is still logged to MLflow (no model version), then the pipeline stops.
            echo(f"[{index}/{total}] {name}: gate failed; logging the run without registering")
            try:
                import_module(f"{__package__}.stages.register").log_failed_run(params, layout)
            except GateFailedError as logged:
                raise PipelineError(f"pipeline stopped at '{name}': {logged}") from failure
            raise PipelineError(f"pipeline stopped at '{name}': {failure}") from failure
        except PipelineError as error:
            raise PipelineError(f"pipeline stopped at '{name}': {error}") from error
        echo(f"[{index}/{total}] {name}: ok {summarise(results[name])}")
    return results


def summarise(result: Any) -> str:
    if isinstance(result, GateReport):
        skipped = sum(check.status == "not run" for check in result.checks)
        return f"({len(result.checks) - skipped} checks passed, {skipped} not applicable)"
    if isinstance(result, dict):
        shown = {k: v for k, v in result.items() if not isinstance(v, dict | list)}
        return " ".join(f"{k}={_short(v)}" for k, v in list(shown.items())[:6])
    return ""


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    text = str(value)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):  # a sha256: its head
        return text[:12]
    return text
