"""Uploaded tables are checked column by column against the feature schema."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Trailing commas keep these imports split, so ruff formats them the same for any package name.
from {{ cookiecutter.package_name }}.serving.table_input import (
    TableError,
    check_table,
    read_table,
)

SCHEMA = {"size": "float", "rooms": "int", "garden": "bool", "colour": "str"}
GOOD = pd.DataFrame(
    {"size": [1.5, 2.0], "rooms": [3, 4], "garden": [True, False], "colour": ["red", "blue"]}
)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_good_table_gets_the_schema_types(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"rows.{kind}"
    GOOD.to_csv(path, index=False) if kind == "csv" else GOOD.to_parquet(path)
    checked = check_table(read_table(path, 100), SCHEMA, set())
    assert checked.dtypes.astype(str).tolist() == ["float64", "int64", "bool", "object"]
    assert checked["garden"].tolist() == [True, False]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda f: f.drop(columns=["rooms"]), "rooms: column(s) missing"),
        (lambda f: f.assign(extra=1), "extra: unexpected column"),
        (lambda f: f.assign(size=["big", "1"]), "size: expected a number, got 'big' at row 0"),
        (lambda f: f.assign(rooms=[1.5, 2]), "rooms: expected an integer"),
        (lambda f: f.assign(size=[np.inf, 1.0]), "size: non-finite number at row 0"),
        (lambda f: f.assign(size=[1.0, 1e300]), "size: 1e+300 at row 1 exceeds"),
        (lambda f: f.assign(garden=["maybe", "true"]), "garden: expected true/false"),
        (lambda f: f.assign(colour=[None, "red"]), "colour: null or empty at row 0"),
        (lambda f: f.assign(size=[True, False]), "size: expected a number, got booleans"),
    ],
)
def test_bad_tables_name_the_column(change, says: str) -> None:
    with pytest.raises(TableError, match=None) as error:
        check_table(change(GOOD.copy()), SCHEMA, set())
    assert says in str(error.value)


def test_a_parquet_index_is_not_taken_for_data(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    GOOD.set_index(pd.Index([7, 3])).to_parquet(path)
    checked = check_table(read_table(path, 100), SCHEMA, set())
    assert checked.notna().all().all() and checked["size"].tolist() == [1.5, 2.0]


def test_nulls_pass_where_training_had_them() -> None:
    checked = check_table(GOOD.assign(size=[None, 2.0]), SCHEMA, {"size"})
    assert checked["size"].isna().tolist() == [True, False]


def test_too_many_rows_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    GOOD.to_parquet(path)
    with pytest.raises(TableError, match="more than the limit of 1"):
        read_table(path, 1)
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 and nothing else")
    with pytest.raises(TableError, match="not a readable CSV or Parquet"):
        read_table(tmp_path / "bad.parquet", 10)


def test_csv_rows_never_shift_into_other_columns(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("size,rooms,garden,colour\n1.5,3,true,red,surplus\n")
    with pytest.raises(TableError, match="more fields than the header"):
        read_table(path, 10)
    path.write_text("size,rooms,garden,colour\n1.5,3,true,red,\n")  # a trailing comma
    checked = check_table(read_table(path, 10), SCHEMA, set())
    assert checked.iloc[0].tolist() == [1.5, 3, True, "red"]


def test_files_get_the_json_limits(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="colour: text longer than"):
        check_table(GOOD.assign(colour=["x" * 10_001, "red"]), SCHEMA, set())
    with pytest.raises(TableError, match="rooms: 9007199254740993 at row 0 exceeds"):
        check_table(GOOD.assign(rooms=[2**53 + 1, 1]), SCHEMA, set())


def test_csv_numbers_are_read_to_the_last_bit(tmp_path: Path) -> None:
    """A CSV row is scored on the values a JSON row of the same numbers would carry (pandas'
    fast parser is one unit in the last place off for about one value in seven)."""
    values = np.random.default_rng(7).uniform(-1e3, 1e3, 5_000)
    path = tmp_path / "rows.csv"
    pd.DataFrame({"x": values, "n": np.arange(5_000)}).to_csv(path, index=False)
    checked = check_table(read_table(path, 10_000), {"x": "float", "n": "int"}, set())
    assert np.array_equal(checked["x"].to_numpy(), values)
    assert checked["n"].tolist() == list(range(5_000))
