"""The share of requests the service refused: clients sending what the model cannot take
(a renamed field, a new type) is a drift the feature checks never see, since refused rows
have no inputs. Each refusal is one row of the log, with its reason (serving/request_ids.py)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..gates.report import CheckOutcome, outcome
from ..thresholds import MonitoringConfig
from .window import OUTPUT

REFUSED = f"{OUTPUT}refused"
SUITE = "Monitoring"
NUMBER = re.compile(r"(?<![A-Za-z_])\d+(?:\.\d+)?")


def split(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scored rows and the refusals of a window."""
    if REFUSED not in rows.columns:
        return rows, rows.iloc[:0]
    refused = rows[REFUSED].notna()
    return rows[~refused].reset_index(drop=True), rows[refused].reset_index(drop=True)


def requests(scored: pd.DataFrame) -> int:
    """How many requests the scored rows came from: by each request's own key (`request`),
    else by its id; a row logged without either counts as one."""
    column = next((name for name in ("request", "request_id") if name in scored.columns), None)
    if column is None:
        return len(scored)
    keys = scored[column]
    return int(keys.nunique() + keys.isna().sum())


def _kind(reason: str) -> str:
    """A refusal's reason with its numbers (row, position, size) as `#`: one kind of refusal
    reads as one line however many rows it named."""
    status, _, said = reason.partition(": ")
    return f"{status}: {NUMBER.sub('#', said)}" if said else reason


def refusals(scored: pd.DataFrame, refused: pd.DataFrame) -> dict[str, Any]:
    answered, count = requests(scored), len(refused)
    total = answered + count
    if count:
        reasons = refused[REFUSED].astype(str).map(_kind).value_counts().head(5)
    else:
        reasons = pd.Series(dtype=int)
    return {
        "requests": total,
        "refused": count,
        "share": round(count / total, 4) if total else 0.0,
        "reasons": {str(reason): int(n) for reason, n in reasons.items()},
    }


def check(gate: MonitoringConfig, found: dict[str, Any]) -> CheckOutcome:
    condition = f"at most {gate.max_refused_share:.0%} of requests refused"
    if found["requests"] < gate.min_requests:
        return CheckOutcome(
            SUITE, "Refused Requests", condition, "not run",
            f"{found['requests']:,} requests in the window; at least {gate.min_requests:,} "
            "(monitoring.min_requests) give a share",
        )  # fmt: skip
    share = found["share"]
    problem = None
    if share > gate.max_refused_share:
        top = "; ".join(f"{n:,}x {reason}" for reason, n in found["reasons"].items())
        problem = f"{share:.1%} of {found['requests']:,} requests refused, most often: {top}"
    return outcome(SUITE, "Refused Requests", condition, problem,
                   f"{share:.1%} of {found['requests']:,} requests refused")  # fmt: skip
