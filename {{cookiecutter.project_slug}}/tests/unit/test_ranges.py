"""Value ranges in the data contract: learned from the first data, checked on every later one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.gates import ranges

RNG = np.random.default_rng(0)
FIRST = pd.DataFrame(
    {
        "size": RNG.uniform(5.0, 30.0, 1000),
        "count": RNG.integers(0, 50, 1000),
        "flag": RNG.random(1000) > 0.5,
        "colour": RNG.choice(["red", "blue"], 1000),
    }
)


def _contract(frame: pd.DataFrame) -> dict[str, dict]:
    kinds = {"size": "float", "count": "int", "flag": "bool", "colour": "str"}
    return {name: {"kind": kinds[name], **ranges.learn(frame[name])} for name in frame.columns}


def _check(frame: pd.DataFrame, expected=None, max_ratio: float = 0.01):
    expected = expected or _contract(FIRST)
    return ranges.check(frame, expected, list(frame.columns), max_ratio, "Data Contract")


def test_ranges_are_learned_for_numbers_only() -> None:
    contract = _contract(FIRST)
    assert contract["size"]["min"] == FIRST["size"].min()
    assert contract["count"] == {"kind": "int", "min": 0, "max": 49}
    assert isinstance(contract["count"]["max"], int)  # plain JSON, not numpy
    assert "min" not in contract["flag"] and "min" not in contract["colour"]
    assert ranges.learn(pd.Series([np.nan, np.nan])) == {}


def _unit_change(frame: pd.DataFrame, share: float) -> pd.DataFrame:
    changed = frame.copy()
    rows = changed.sample(frac=share, random_state=1).index
    changed.loc[rows, "size"] *= 10
    return changed


def _shifted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(count=frame["count"] + 45)


def _negative(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(size=-frame["size"])


@pytest.mark.parametrize(
    ("fault", "column"),
    [(lambda f: _unit_change(f, 0.3), "size"), (_shifted, "count"), (_negative, "size")],
    ids=["unit change in part of the rows", "integers shifted", "sign flipped"],
)
def test_values_out_of_range_fail_naming_the_column(fault, column: str) -> None:
    outcome = _check(fault(FIRST))
    assert outcome.status == "failed" and outcome.check == "Ranges"
    assert outcome.details.startswith(f"{column!r} has ")
    assert "max_out_of_range_ratio" in outcome.details  # the fix, with the problem


def test_the_same_population_and_a_few_strays_pass() -> None:
    assert _check(FIRST.sample(frac=0.5, random_state=2)).status == "passed"
    assert _check(_unit_change(FIRST, 0.005)).status == "passed"  # 0.5% <= 1%
    assert _check(_unit_change(FIRST, 0.005), max_ratio=0.0).status == "failed"
    with_gaps = FIRST.assign(size=FIRST["size"].where(FIRST.index % 2 == 0))
    assert _check(with_gaps).status == "passed"  # missing values are not out of range


def test_a_contract_without_ranges_is_said_not_run() -> None:
    """A contract written before ranges were learned: said, never silently passed."""
    old = {name: {"kind": entry["kind"]} for name, entry in _contract(FIRST).items()}
    outcome = _check(FIRST, old)
    assert outcome.status == "not run" and "no value ranges" in outcome.details


def test_a_hand_edited_range_that_is_not_numbers_fails() -> None:
    broken = _contract(FIRST)
    broken["size"]["max"] = "thirty"
    outcome = _check(FIRST, broken)
    assert outcome.status == "failed" and "'size' has a range in the contract" in outcome.details
