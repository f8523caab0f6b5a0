"""The share of requests the service refused: clients sending what the model cannot take
(a renamed field, a new type) is a drift the feature checks never see, since refused rows
have no inputs. Each refusal is one row of the log, with its reason (serving/request_ids.py)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..gates.report import CheckOutcome, outcome
from ..thresholds import MonitoringConfig
from .window import OUTPUT

REFUSED = f"{OUTPUT}refused"
SUITE = "Monitoring"


def split(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scored rows and the refusals of a window."""
    if REFUSED not in rows.columns:
        return rows, rows.iloc[:0]
    refused = rows[REFUSED].notna()
    return rows[~refused].reset_index(drop=True), rows[refused].reset_index(drop=True)


def requests(scored: pd.DataFrame) -> int:
    """How many requests the scored rows came from (a row logged without an id counts as one)."""
    if "request_id" not in scored.columns:
        return len(scored)
    ids = scored["request_id"]
    return int(ids.nunique() + ids.isna().sum())


def refusals(scored: pd.DataFrame, refused: pd.DataFrame) -> dict[str, Any]:
    answered, count = requests(scored), len(refused)
    total = answered + count
    reasons = refused[REFUSED].value_counts().head(5) if count else pd.Series(dtype=int)
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
