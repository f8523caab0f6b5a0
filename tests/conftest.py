"""Shared fixtures for the template's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def template_root() -> Path:
    """Root of the cookiecutter template: the folder holding cookiecutter.json."""
    return TEMPLATE_ROOT


# The longest groups (marked `long`) are handed out first, one per worker, so none of them waits
# behind another; xdist hands out groups in collection order (with --no-loadscope-reorder),
# each to a worker that has none left (pytest_xdist_make_scheduler below).
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable sort


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """With --dist loadgroup, a worker gets its next group only when one test of its last is
    left (a worker holds its last test until it knows the next one, so it cannot be none).

    xdist's own rule queues a second group on a worker as soon as its first has two tests left,
    and the second then waits behind them: behind the CI workflow of the first-week scenario,
    twenty minutes, while other workers sit idle. So no long group ends on its longest test.
    """
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class WhenIdle(LoadGroupScheduling):
        def _reschedule(self, node) -> None:  # type: ignore[no-untyped-def]
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) <= 1:
                self._assign_work_unit(node)

    return WhenIdle(config, log)
