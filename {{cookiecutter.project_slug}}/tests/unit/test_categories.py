"""Unseen categories: a row with a value of a categorical column the model never saw is scored
all the same, with a warning naming the column and value; a missing value is no such value."""

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.serving.categories import (
    MAX_KNOWN,
    UnseenCategories,
    known_categories,
)
from {{ cookiecutter.package_name }}.serving.responses import Scores


def test_known_categories_are_the_training_values_as_text() -> None:
    train = pd.DataFrame(
        {
            "colour": ["red", "blue", None, "red"],
            "zone": [1, 2, 2, 3],
            "id": [f"c{i}" for i in range(4)],
        }
    )
    assert known_categories(train, ["colour", "zone"]) == {
        "colour": ["blue", "red"],
        "zone": ["1", "2", "3"],
    }
    many = pd.DataFrame({"id": [f"c{i}" for i in range(MAX_KNOWN + 1)]})
    assert known_categories(many, ["id"]) == {}  # an id-like column is not checked


def test_rows_with_an_unseen_value_are_warned_of_by_column() -> None:
    unseen = UnseenCategories({"colour": ["blue", "red"], "zone": ["1", "2"]})
    rows = pd.DataFrame(
        {
            "colour": ["red", "purple", None, "teal"],
            "zone": [1, 2, 2, 9],
            "size": [1.0, 2.0, 3.0, np.nan],
        }
    )
    warnings = unseen.warnings(rows)
    assert sorted(warnings) == [1, 3]
    assert warnings[1].endswith("colour: 'purple'")
    assert "colour: 'teal', zone: '9'" in warnings[3]
    assert unseen.warnings(rows.iloc[:1]) == {}
    # a large batch takes pandas' path, a small one plain Python's: the same answers
    many = pd.concat([rows] * 50, ignore_index=True)
    assert unseen.warnings(many) == {i + 4 * k: warnings[i] for k in range(50) for i in (1, 3)}


def test_a_long_unseen_value_is_shown_cut() -> None:
    (warning,) = (
        UnseenCategories({"colour": ["red"]})
        .warnings(pd.DataFrame({"colour": ["x" * 5_000]}))
        .values()
    )
    assert warning.endswith("colour: '" + "x" * 37 + "...'") and len(warning) < 200


def test_warnings_travel_with_their_rows_and_into_the_log_columns() -> None:
    both = Scores([1.0], None, warnings={0: "a"}) + Scores([2.0, 3.0], None, warnings={1: "b"})
    assert both.warnings == {0: "a", 2: "b"}
    assert both.columns([])["warning"].tolist() == ["a", pd.NA, "b"]
