import math

import pandas as pd
import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.schema import (
    categorical_columns,
    infer_schema,
    row_model,
    rows_to_frame,
)

SCHEMA = {"mean radius": "float", "count": "int", "flag": "bool", "colour": "str"}


def test_schema_keeps_trained_types_and_categories_are_listed_apart() -> None:
    frame = pd.DataFrame({"a": [1.5], "b": [2], "c": [True], "d": ["x"], "e": [3]})
    schema = infer_schema(frame)
    # A numeric column declared categorical is still sent as the number it was trained on.
    assert schema == {"a": "float", "b": "int", "c": "bool", "d": "str", "e": "int"}
    assert categorical_columns(schema, declared=("e",)) == ["d", "e"]


def test_valid_row_round_trips_by_column_name() -> None:
    row_type = row_model(SCHEMA)
    row = row_type.model_validate({"mean radius": 1, "count": 2, "flag": False, "colour": "red"})
    frame = rows_to_frame([row], SCHEMA)
    assert list(frame.columns) == list(SCHEMA)
    assert frame["mean radius"].dtype == "float64"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mean radius": "1.5"}, "mean radius"),
        ({"mean radius": True}, "mean radius"),
        ({"mean radius": None}, "mean radius"),
        ({"mean radius": math.inf}, "mean radius"),
        ({"mean radius": math.nan}, "mean radius"),
        ({"count": 2.5}, "count"),
        ({"colour": 3}, "colour"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_ill_typed_or_extra_fields_are_refused_by_name(change: dict, field: str) -> None:
    row_type = row_model(SCHEMA)
    good = {"mean radius": 1.0, "count": 2, "flag": False, "colour": "red"}
    with pytest.raises(ValidationError) as error:
        row_type.model_validate({**good, **change})
    assert field in str(error.value)


def test_missing_field_is_named() -> None:
    with pytest.raises(ValidationError, match="count"):
        row_model(SCHEMA).model_validate({"mean radius": 1.0, "flag": True, "colour": "x"})


def test_null_is_accepted_only_where_training_had_gaps() -> None:
    row_type = row_model({"a": "float", "b": "str"}, nullable=("a",))
    row = row_type.model_validate({"a": None, "b": "x"})
    assert rows_to_frame([row], {"a": "float", "b": "str"})["a"].isna().all()
    with pytest.raises(ValidationError, match="b"):
        row_type.model_validate({"a": 1.0, "b": None})
