"""The data contract: the columns, types, categories and labels the model is built for.

Written from the data of the first run that passes the whole data gate (then committed, so a
schema change is a reviewed diff; never from data the gate rejected), and checked on every
later run before training: a column missing, renamed or of another type, a category or label
class never seen, or more than a few values outside a numeric column's learned range
(gates/ranges.py) stops the pipeline with the column named. On every run, first or not, each
value must be one the service would accept (finite numbers within the schema's bounds, text
within its length): a model is never trained on values it could not be asked about.
deepchecks compares train with test; this compares new data with what was agreed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import Params
from ..errors import PipelineError
from ..layout import Layout, write_json
from ..schema import MAX_ABS_INT, MAX_ABS_NUMBER, MAX_TEXT, categorical_columns, infer_schema
from . import ranges
from .report import CheckOutcome, not_run, outcome

SUITE = "Data Contract"
MAX_CATEGORIES = 1000  # beyond this a column is free text: its values are not enumerated
SHOWN = 5


def infer_contract(frame: pd.DataFrame, target: str, declared: tuple[str, ...]) -> dict[str, Any]:
    """The contract of a frame, as the first run sees it."""
    features = frame.drop(columns=[target])
    kinds = infer_schema(features)
    categorical = set(categorical_columns(kinds, declared))
    columns: dict[str, Any] = {}
    for name, kind in kinds.items():
        entry: dict[str, Any] = {"kind": kind}
        values = features[name].dropna().unique()
        if name in categorical:
            if len(values) <= MAX_CATEGORIES:
                entry["categories"] = sorted(_plain(value) for value in values)
        else:
            entry.update(ranges.learn(features[name]))
        columns[name] = entry
    label = frame[target].dropna()
    contract: dict[str, Any] = {"target": target, "columns": columns}
    if not pd.api.types.is_float_dtype(label) and label.nunique() <= MAX_CATEGORIES:
        contract["classes"] = sorted(_plain(value) for value in label.unique())
    return contract


def _plain(value: Any) -> Any:
    """A JSON value that compares equal to the frame's: numpy scalars become Python ones."""
    return value.item() if isinstance(value, np.generic) else value


def load_contract(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        contract = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PipelineError(f"validation.contract: {path} is not valid JSON: {exc}") from exc
    if not isinstance(contract, dict) or not isinstance(contract.get("columns"), dict):
        raise PipelineError(f"validation.contract: {path} has no 'columns' mapping")
    return contract


# What to do when the data broke the contract: fix it, or accept the new data as the agreement.
ACCEPT = (
    "accept the new data as the agreement: delete {contract}, rerun (a passing run writes it "
    "anew) and commit it"
)
DROP = "leave a column out with data.drop in params.yaml, or "  # for an unexpected column


def _outcome(
    check: str, condition: str, problems: list[str], contract: str = "", fix: str = ""
) -> CheckOutcome:
    more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    shown = "; ".join(problems[:SHOWN]) + more
    if shown and contract:
        way_on = (fix or "fix the data, or ") + ACCEPT
        shown += ". To go on: " + way_on.format(contract=contract)
    return outcome(SUITE, check, condition, shown or None, "as agreed")


def _compatible(expected: str, actual: str) -> bool:
    numeric = {"int", "float"}
    return expected == actual or (expected in numeric and actual in numeric)


def check_contract(
    frame: pd.DataFrame, contract: dict[str, Any], params: Params
) -> list[CheckOutcome]:
    """One outcome per contract rule, each naming the offending columns and values."""
    target = contract.get("target")
    expected: dict[str, Any] = contract["columns"]
    where = params.validation.contract
    present = [str(column) for column in frame.columns if column != target]
    missing = [name for name in expected if name not in present]
    extra = [name for name in present if name not in expected]
    found = [
        _outcome(
            "Columns",
            "every agreed column is present and no other",
            [f"missing column {name!r}" for name in missing]
            + [f"unexpected column {name!r}" for name in extra],
            where,
            DROP if extra else "",
        )
    ]
    shared = [name for name in expected if name in present]
    kinds = infer_schema(frame[shared]) if shared else {}
    found.append(
        _outcome(
            "Types",
            "each column keeps its agreed type",
            [
                f"{name!r} is {kinds[name]}, agreed {expected[name]['kind']}"
                for name in shared
                if not _compatible(expected[name]["kind"], kinds[name])
            ],
            where,
        )
    )
    found.append(_categories(frame, expected, shared, where))
    within = [name for name in shared if _compatible(expected[name]["kind"], kinds[name])]
    max_ratio = params.validation.reference.max_out_of_range_ratio
    found.append(ranges.check(frame, expected, within, max_ratio, SUITE))
    found.append(_labels(frame, contract, params.task, where))
    return found


def _out_of_bounds(column: pd.Series, kind: str) -> tuple[int, Any]:
    """How many values of a column the service would refuse, and the first of them."""
    if kind == "str":
        text = column.dropna().astype(str)
        bad = text[text.str.len() > MAX_TEXT]
        return len(bad), f"{len(bad.iloc[0])} characters" if len(bad) else None
    if kind not in {"int", "float"}:
        return 0, None
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    limit = MAX_ABS_INT if kind == "int" else MAX_ABS_NUMBER
    with np.errstate(invalid="ignore"):
        bad = np.isinf(values) | (np.abs(values) > limit)
    return int(bad.sum()), values[bad][0] if bad.any() else None


def servable_values(frame: pd.DataFrame) -> CheckOutcome:
    """Values the service would refuse (schema bounds), named per column with an example."""
    problems = []
    for name, kind in infer_schema(frame).items():
        count, example = _out_of_bounds(frame[name], kind)
        if count:
            problems.append(f"{name!r} has {count} value(s) the service refuses (e.g. {example})")
    return _outcome(
        "Servable Values",
        f"numbers are finite and within ±{MAX_ABS_NUMBER:g} (integers ±2^53), text is at most "
        f"{MAX_TEXT} characters: what the service accepts",
        problems,
    )


def _categories(
    frame: pd.DataFrame, expected: dict[str, Any], shared: list[str], where: str
) -> CheckOutcome:
    problems = []
    for name in shared:
        known = expected[name].get("categories")
        if known is None:
            continue
        seen = {_plain(value) for value in frame[name].dropna().unique()}
        new = sorted(map(str, seen - set(known)))
        if new:
            problems.append(f"{name!r} has unseen categories {new[:SHOWN]}")
    return _outcome("Categories", "no category outside the agreed ones", problems, where)


def _labels(frame: pd.DataFrame, contract: dict[str, Any], task: str, where: str) -> CheckOutcome:
    target = contract.get("target")
    if target not in frame.columns:
        missing = [f"no label column {target!r} (data.target)"]
        return _outcome("Label", "the label is present and varies", missing, where)
    label = frame[target].dropna()
    problems = []
    if label.nunique() < 2:
        problems.append(f"label {target!r} is constant ({label.unique()[:1].tolist()})")
    if task == "classification" and "classes" in contract:
        new = sorted(map(str, {_plain(v) for v in label.unique()} - set(contract["classes"])))
        if new:
            problems.append(f"label {target!r} has unseen classes {new[:SHOWN]}")
    return _outcome("Label", "the label is present, varies, and keeps its classes", problems, where)


def contract_outcomes(
    params: Params, layout: Layout, raw: pd.DataFrame
) -> tuple[list[CheckOutcome], dict[str, Any] | None]:
    """Check the raw data against the contract, and its values against what the service
    takes. Without a contract yet, also return the one to write if the whole gate passes."""
    checks = [servable_values(raw)]
    contract = load_contract(params.validation.resolved_contract(layout.root))
    if contract is None:
        return checks, infer_contract(raw, params.data.target, params.data.categorical)
    return [*checks, *check_contract(raw, contract, params)], None


def settle_first_contract(
    params: Params, layout: Layout, contract: dict[str, Any], passed: bool
) -> CheckOutcome:
    """A first run writes the contract only from data the whole gate passed: written from
    rejected data, it would refuse the clean data that follows."""
    path = params.validation.resolved_contract(layout.root)
    where = path.relative_to(layout.root) if path.is_relative_to(layout.root) else path
    if not passed:
        return not_run(
            SUITE, f"no contract yet; none written from data the gate rejected ({where})"
        )
    write_json(path, contract)
    return not_run(SUITE, f"no contract yet: {where} written from this data; commit it")
