"""Running a deepchecks suite as part of a gate: a sampled Dataset, the HTML report, outcomes."""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from typing import Any

import pandas as pd

from ..config import Params
from ..layout import Layout
from .html_assets import share_large_scripts
from .report import CheckOutcome, GateReport, Status


def quiet_deepchecks() -> None:
    """deepchecks prints progress bars and deprecation noise; keep logs readable."""
    os.environ.setdefault("DISABLE_DEEPCHECKS_ANONYMOUS_TELEMETRY", "True")
    warnings.filterwarnings("ignore")
    logging.getLogger("deepchecks").setLevel(logging.ERROR)


def sample(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    return frame if len(frame) <= max_rows else frame.sample(max_rows, random_state=seed)


def sample_note(rows: int, params: Params) -> str:
    """What `deepchecks_dataset` gives a suite of `rows` rows, for the report."""
    max_rows, seed = params.validation.max_rows, params.split.seed
    if rows <= max_rows:
        return f"all {rows:,} rows"
    return f"a random sample of {max_rows:,} of {rows:,} rows (seed {seed})"


def deepchecks_dataset(frame: pd.DataFrame, params: Params, categorical: list[str]) -> Any:
    """A deepchecks Dataset of at most `validation.max_rows` rows (sampled with the seed)."""
    from deepchecks.tabular import Dataset

    frame = sample(frame, params.validation.max_rows, params.split.seed)
    # deepchecks' drift checks subtract values, which numpy refuses for booleans: use 0/1.
    flags = frame.select_dtypes(include="bool").columns
    frame = frame.astype(dict.fromkeys(flags, "int8"))
    label_type = "regression" if params.task == "regression" else None
    return Dataset(frame, label=params.data.target, cat_features=categorical, label_type=label_type)


def run_suite(layout: Layout, key: str, suite: Any, report: GateReport, **inputs: Any) -> Any:
    """Run a deepchecks suite, save its HTML report (plotly shared, not inlined), record it;
    returns deepchecks' result, for the values behind each condition."""
    import joblib

    # On a terminal, deepchecks' own bar shows each check as it runs; in a log (CI, a pipe) its
    # carriage returns would run into the next line, so a line before and after each suite.
    bars = sys.stderr.isatty()
    logging.getLogger("deepchecks").setLevel(logging.INFO if bars else logging.ERROR)
    checks, started = len(suite.checks), time.monotonic()
    if not bars:
        print(f"  {suite.name}: {checks} checks ...", file=sys.stderr, flush=True)
    # deepchecks' permutation importance asks joblib for every core: a fresh loky process pool
    # costs ~10 s per stage here, threads the same answer in about a tenth of that.
    with joblib.parallel_config(backend="threading"):
        result = suite.run(**inputs)
    seconds = time.monotonic() - started
    print(f"  {suite.name}: {checks} checks run in {seconds:.1f} s", file=sys.stderr, flush=True)
    layout.deepchecks.mkdir(parents=True, exist_ok=True)
    path = layout.deepchecks / f"{key}.html"
    # deepchecks never overwrites: it would write "<key> (1).html" beside last run's report,
    # which then passed for this run's (linked, logged to MLflow, in the model card).
    path.unlink(missing_ok=True)
    # Plain HTML, not the ipywidgets page: it renders offline and weighs half as much;
    # its plotly bundle is then shared by all reports instead of inlined in each.
    result.save_as_html(str(path), as_widget=False)
    share_large_scripts(path)
    report.reports[key] = str(path.relative_to(layout.root))
    report.checks.extend(outcomes(suite.name, result))
    return result


def outcomes(suite_name: str, result: Any) -> list[CheckOutcome]:
    """Flatten a deepchecks SuiteResult: one outcome per condition.

    Fail closed: a gate that could not be evaluated fails, unless deepchecks says the check does
    not apply to this data (e.g. no categorical features), which is reported as not run.
    """
    from deepchecks.core import CheckFailure, ConditionCategory
    from deepchecks.core.errors import DeepchecksNotSupportedError

    found: list[CheckOutcome] = []
    for item in result.results:
        header = item.get_header()
        if isinstance(item, CheckFailure):
            applies = not isinstance(item.exception, DeepchecksNotSupportedError)
            status: Status = "failed" if applies else "not run"
            reason = f"{type(item.exception).__name__}: {item.exception}"
            found.append(CheckOutcome(suite_name, header, "(check could not run)", status, reason))
            continue
        for condition in item.conditions_results:
            if condition.category == ConditionCategory.ERROR:
                status = "failed"
            else:
                status = "passed" if condition.is_pass() else "failed"
            found.append(
                CheckOutcome(suite_name, header, condition.name, status, condition.details)
            )
    return found
