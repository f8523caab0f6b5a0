"""Retraining's candidate tag: the rule the README states, on every kind of tag history."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.release.versions import next_candidate


@pytest.mark.parametrize(
    ("tags", "production", "expected"),
    [
        ([], None, "v0.1.0-rc.1"),  # the first ever
        (["v0.1.0-rc.1"], None, "v0.1.0-rc.2"),  # joins the version still waiting
        (["v0.1.0-rc.1", "v0.1.0"], "v0.1.0", "v0.1.1-rc.1"),  # all released: next patch
        (["v0.1.0", "v0.1.1-rc.1", "v0.1.1-rc.2"], "v0.1.0", "v0.1.1-rc.3"),  # never reused
        (["v1.1.0", "v1.2.0", "v1.3.0-rc.2", "junk", "v2", "v1.0"], "v1.1.0", "v1.3.0-rc.3"),
        (["v1.1.0", "v1.2.0", "v1.0.9-rc.4"], "v1.1.0", "v1.2.1-rc.1"),  # below: not waiting
        (["v0.2.0"], "v0.1.0", "v0.2.1-rc.1"),  # production rolled back: above every release
        (["v1.2.0-rc.1", "v1.2.0-rc.1"], None, "v1.2.0-rc.2"),  # a tag seen twice
        (["v1.2.1٣-rc.1", "v1.2.0"], "v1.2.0", "v1.2.1-rc.1"),  # no ASCII tag, not counted
    ],
)
def test_the_next_candidate(tags: list[str], production: str | None, expected: str) -> None:
    assert next_candidate(tags, production) == expected
