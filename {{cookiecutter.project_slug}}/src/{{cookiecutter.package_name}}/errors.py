"""Errors a user can act on: the CLI prints their message and exits non-zero, without a traceback."""


class PipelineError(Exception):
    """A stage could not do its job; the message says what to change."""


class GateFailedError(PipelineError):
    """A validation gate failed; the message names every failed check."""

    def __init__(self, failed: list[str], note: str = "", details: list[str] | None = None) -> None:
        self.failed, self.note = failed, note
        shown = [f"\n      {detail}" if detail else "" for detail in details or []]
        shown += [""] * (len(failed) - len(shown))
        lines = "\n".join(f"  - {name}{more}" for name, more in zip(failed, shown, strict=True))
        suffix = f"\n{note}" if note else ""
        super().__init__(f"validation gate failed ({len(failed)} check(s)):\n{lines}{suffix}")


# Where a failed gate's thresholds are set, said under every failure.
THRESHOLDS = (
    "Each threshold is in params.yaml under validation (data, reference, model: minimums, "
    "maximums, max_performance_degradation, champion); every check's values: reports/gates.json"
)
