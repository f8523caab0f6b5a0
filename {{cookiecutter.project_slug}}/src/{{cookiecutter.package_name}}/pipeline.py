"""The whole pipeline: every stage in order (stages.STAGES), stopping at the first failure."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from .config import Params
from .errors import THRESHOLDS, GateFailedError, PipelineError
from .gates.report import GateReport
from .gitinfo import uncommitted
from .layout import Layout, read_json
from .stages import STAGES
from .tracking import named_failures

Stage = Callable[[Params, Layout], Any]


def stage_module(name: str) -> Any:
    """A stage's module, imported only now (the CLI stays quick to start)."""
    return import_module(f"{__package__}.stages.{name}")


def stage_function(name: str) -> Stage:
    """The `run` of a stage."""
    return stage_module(name).run


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
    try:
        stage_module("train").check_params(params)
    except PipelineError as error:
        raise PipelineError(f"pipeline stopped before its first stage: {error}") from error
    for index, name in enumerate(STAGES, start=1):
        echo(f"[{index}/{total}] {name}")
        try:
            results[name] = run_stage(name, params, layout)
        except GateFailedError as failure:
            # The failed run is still logged to MLflow (no model version), then the pipeline stops.
            echo(f"[{index}/{total}] {name}: gate failed; logging the run without registering")
            note = ""
            try:
                stage_module("register").log_failed_run(params, layout)
            except GateFailedError as logged:  # the same checks, without their details
                note = f"\n{logged.note}"
            raise PipelineError(
                f"pipeline stopped at '{name}': {failure}{note}\n{THRESHOLDS}"
            ) from failure
        except PipelineError as error:
            raise PipelineError(f"pipeline stopped at '{name}': {error}") from error
        echo(f"[{index}/{total}] {name}: ok {summarise(results[name], name)}")
    return results


# What a stage's line shows of its result (the rest is in its JSON under reports/).
HEADLINES: dict[str, tuple[str, ...]] = {
    "extract": ("rows", "source", "sha256"),
    "register": ("model_name", "version", "alias", "run_id"),
    "package": ("bento", "small_batches"),
}


def summarise(result: Any, stage: str = "") -> str:
    if isinstance(result, GateReport):
        skipped = sum(check.status == "not run" for check in result.checks)
        return f"({len(result.checks) - skipped} checks passed, {skipped} not applicable)"
    if isinstance(result, dict):
        shown = {k: v for k, v in result.items() if not isinstance(v, dict | list)}
        keys = [k for k in HEADLINES.get(stage, tuple(shown)[:6]) if k in shown]
        return " ".join(f"{k}={_short(shown[k])}" for k in keys)
    return ""


def closing_summary(params: Params, layout: Layout, seconds: float) -> list[str]:
    """What a passed pipeline ends with on the console: the model's metrics, the gates, where
    the run and its reports are, what to commit and the next commands."""
    metrics = read_json(layout.metrics, "evaluate")
    gates = read_json(layout.gates, "validate_model")
    registered = read_json(layout.registration, "register")
    bento = read_json(layout.package_record, "package")["bento"]
    ran = [check for check in gates["checks"] if check["status"] != "not run"]
    lines = [
        f"Pipeline passed in {seconds:.0f} s.",
        "  test metrics: " + ", ".join(f"{k} {_short(v)}" for k, v in metrics.items()),
        f"  gates: all {len(ran)} checks passed "
        f"({len(gates['checks']) - len(ran)} not applicable to this data)",
        f"  model: {registered['model_name']} version {registered['version']}, MLflow run "
        f"{registered['run_id']}; @{registered['alias']} is on version "
        f"{registered.get('alias_holder', registered['version'])}",
        f"  bento: {bento}",
        f"  reports: {layout.reports.relative_to(layout.root)}/ (gates.json, deepchecks/*.html)",
    ]
    contract = params.validation.resolved_contract(layout.root)
    source = stage_module("extract").source_file(params.data, layout.root)
    files = [layout.root / "params.yaml", contract, layout.data_manifest, *filter(None, [source])]
    unsaved = uncommitted(layout.root, files)
    if unsaved:
        lines.append(
            f"Commit {', '.join(unsaved)} (the settings, data and contract this run passed), "
            "then run `make pipeline` again: a release takes only a model trained at a commit."
        )
    lines += [
        "Next:",
        f"  make serve       # the model on http://{params.serving.host}:{params.serving.port}",
        "  make mlflow-ui   # the run, its metrics and reports in MLflow's UI",
        "  make test        # the project's own tests",
    ]
    return lines


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    text = str(value)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):  # a sha256: its head
        return text[:12]
    return text
