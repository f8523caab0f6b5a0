"""What every gate shares: one outcome per condition and the gate report.

A gate fails closed: every condition not met, and every check that could not be evaluated,
fails it. The data gate (before training) and the model gate (after evaluation) write one
report, `reports/gates.json`, so a reader sees every check with its status and reason.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..layout import Layout, write_json

Status = Literal["passed", "failed", "not run"]
# The model gate's suites: the data gate reports them as not run until the model gate runs.
MODEL_SUITES = ("Model Evaluation", "Model Floor", "Champion")


@dataclass(frozen=True)
class CheckOutcome:
    suite: str
    check: str
    condition: str
    status: Status
    details: str = ""

    @property
    def name(self) -> str:
        return f"{self.suite} / {self.check}: {self.condition}"


def outcome(suite: str, check: str, condition: str, problem: str | None, fine: str) -> CheckOutcome:
    """A check computed here rather than by deepchecks: failed with `problem`, else passed."""
    return CheckOutcome(suite, check, condition, "failed" if problem else "passed", problem or fine)


@dataclass
class GateReport:
    checks: list[CheckOutcome] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    # per deepchecks suite, the rows it saw: a sample where the data is larger than max_rows
    samples: dict[str, str] = field(default_factory=dict)
    complete: bool = False  # True once the model gate ran: only then may a model be registered

    @property
    def failed(self) -> list[CheckOutcome]:
        return [check for check in self.checks if check.status == "failed"]

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "complete": self.complete,
            "failed": [check.name for check in self.failed],
            "checks": [asdict(check) for check in self.checks],
            "reports": self.reports,
            "samples": self.samples,
        }


def not_run(suite: str, reason: str) -> CheckOutcome:
    return CheckOutcome(suite, "(suite)", "(not run)", "not run", reason)


def write_report(layout: Layout, report: GateReport) -> None:
    write_json(layout.gates, report.to_dict())


def read_report(layout: Layout) -> GateReport:
    """The gate report so far (the data gate's part, before the model gate adds its own)."""
    if not layout.gates.is_file():
        return GateReport()
    raw = json.loads(layout.gates.read_text(encoding="utf-8"))
    return GateReport(
        checks=[CheckOutcome(**check) for check in raw.get("checks", [])],
        reports=dict(raw.get("reports", {})),
        samples=dict(raw.get("samples", {})),
        complete=bool(raw.get("complete", False)),
    )
