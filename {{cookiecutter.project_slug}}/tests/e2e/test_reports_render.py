"""The deepchecks reports as a reader opens them: offline, in a real browser, every plot drawn.

A report whose plotting script cannot load (an inlined bundle cut short, a shared asset moved,
a CDN link) still shows its tables, so only a browser tells a drawn plot from an empty box.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# headless, offline, no profile of the user's: the closed network refuses Chrome's own calls
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip
PLOT = 'class="plotly-graph-div'  # one per plot in the saved page
DRAWN = 'class="main-svg"'  # what plotly.js adds inside each plot once it has drawn it


def browser() -> str:
    """Chromium or Chrome from PATH; in CI a missing browser fails rather than skips."""
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    message = f"no browser on PATH (looked for {', '.join(BROWSERS)})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def rendered_dom(page: Path, profile: Path) -> str:
    """The page's DOM after its scripts ran (10 s of virtual time)."""
    done = subprocess.run(
        [browser(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000",
         "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_every_deepchecks_plot_is_drawn_offline(built: Path, tmp_path: Path) -> None:
    pages = sorted((built / "reports" / "deepchecks").glob("*.html"))
    assert [page.stem for page in pages] == [
        "data_integrity", "model_evaluation", "train_test_validation"
    ]  # fmt: skip
    plots = {page.stem: page.read_text(encoding="utf-8").count(PLOT) for page in pages}
    assert sum(plots.values()) > 0, plots
    for page in pages:
        dom = rendered_dom(page, tmp_path / page.stem)
        assert "Conditions Summary" in dom
        # plotly draws two or three <svg class="main-svg"> layers into every plot
        assert dom.count(DRAWN) >= 2 * plots[page.stem], (page.name, plots[page.stem])
